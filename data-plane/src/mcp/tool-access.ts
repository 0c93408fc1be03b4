import { mcpToolAllowed, type KeyConfig } from '@keyward/shared';
import type { JsonRpcMessage } from './json-rpc.js';

/** The tool a `tools/call` names, or null when its params name none. */
export function calledTool(message: JsonRpcMessage): string | null {
  const name = (message.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : null;
}

/** A `tools/list` result with only the tools `key` may call on `server`; anything else unchanged. */
export function filterToolsList(message: JsonRpcMessage, key: KeyConfig, server: string): JsonRpcMessage {
  const result = message.result as { tools?: unknown } | undefined;
  if (!result || !Array.isArray(result.tools)) return message;
  const tools = result.tools.filter((tool: { name?: unknown } | null) => typeof tool?.name === 'string' && mcpToolAllowed(key.mcpAccess, server, tool.name));
  return { ...message, result: { ...result, tools } };
}
