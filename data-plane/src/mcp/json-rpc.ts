import type { Decision } from '@keyward/shared';

/**
 * The JSON-RPC 2.0 messages MCP exchanges, as far as the gateway reads them: what an agent sent
 * (one request, notification or response per POST) and the error answers Keyward writes itself.
 */

export type JsonRpcId = string | number;

/** One JSON-RPC message, as parsed: requests have `method` and `id`, notifications only `method`, responses `result` or `error`. */
export interface JsonRpcMessage {
  readonly jsonrpc: '2.0';
  readonly id?: JsonRpcId | null;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/** The JSON-RPC error codes Keyward answers with (the specification's, and MCP's `-32000…` server range). */
export const RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Keyward refused the message: key, server access, tool access. */
  refused: -32001,
  /** The MCP server failed, could not be reached or answered something unreadable. */
  upstreamFailed: -32002,
} as const;

/** An error Keyward answers itself: the HTTP status, the JSON-RPC code and a message safe to show the agent. */
export class McpRefusal extends Error {
  override name = 'McpRefusal';
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    /** The stable code recorded in events and metrics, e.g. `tool_not_allowed`. */
    readonly code: string,
    /** The id of the agent's request, when there was one. */
    readonly id: JsonRpcId | null = null,
    /** What the event records; by default `denied` for a lack of access, `error` for the rest. */
    readonly decision: Decision | null = null,
  ) {
    super(message);
  }
}

/** A JSON-RPC error message. */
export function rpcErrorBody(id: JsonRpcId | null, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });
}

/**
 * Reads the one JSON-RPC message an agent POSTs. Batches (JSON arrays) are refused: MCP dropped
 * them in 2025-06-18, and a batch would let a refused `tools/call` ride along with allowed ones.
 */
export function parseAgentMessage(body: Buffer): JsonRpcMessage {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new McpRefusal(400, RPC_ERRORS.parseError, 'The request body is not valid JSON.', 'invalid_json');
  }
  if (Array.isArray(value)) {
    throw new McpRefusal(400, RPC_ERRORS.invalidRequest, 'JSON-RPC batches are not supported: send one message per request.', 'invalid_request');
  }
  if (typeof value !== 'object' || value === null) {
    throw new McpRefusal(400, RPC_ERRORS.invalidRequest, 'The request body must be one JSON-RPC 2.0 message (an object).', 'invalid_request');
  }
  const message = value as Record<string, unknown>;
  const id = validId(message.id) ? message.id : null;
  if (message.jsonrpc !== '2.0') throw new McpRefusal(400, RPC_ERRORS.invalidRequest, 'The message must have "jsonrpc": "2.0".', 'invalid_request', id);
  if (message.id !== undefined && !validId(message.id)) {
    throw new McpRefusal(400, RPC_ERRORS.invalidRequest, 'The message "id" must be a string or an integer.', 'invalid_request');
  }
  const isResponse = 'result' in message || 'error' in message;
  if (!isResponse && typeof message.method !== 'string') {
    throw new McpRefusal(
      400,
      RPC_ERRORS.invalidRequest,
      'The message needs a "method" (a request or notification) or a "result" or "error" (a response).',
      'invalid_request',
      id,
    );
  }
  if (message.params !== undefined && (typeof message.params !== 'object' || message.params === null)) {
    throw new McpRefusal(400, RPC_ERRORS.invalidRequest, 'The message "params" must be an object or an array.', 'invalid_request', id);
  }
  return message as unknown as JsonRpcMessage;
}

/** Whether `message` is a request, i.e. expects a response with its id. */
export function isRequest(message: JsonRpcMessage): message is JsonRpcMessage & { readonly id: JsonRpcId; readonly method: string } {
  return typeof message.method === 'string' && validId(message.id);
}

function validId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
}
