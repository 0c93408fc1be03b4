import { mcpToolAllowed, type Decision, type KeyConfig, type McpServerConfig, type OrgConfig } from '@keyward/shared';
import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import { stoppedKeyError } from '../anomaly/key-stop.js';
import { authenticateKey } from '../auth/authenticate.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../pipeline/gateway.js';
import { finish, spoolUnavailable, untracedRecord } from '../pipeline/proxy.js';
import type { RequestRecord } from '../pipeline/record.js';
import { truncateText } from '../streaming/collector.js';
import { copyRequest, readBody, type IncomingRequest, type RequestBody } from '../server/request.js';
import { ClientResponse } from '../server/response.js';
import type { HttpRequest, HttpResponse } from '../server/uws.js';
import { isRequest, McpRefusal, parseAgentMessage, RPC_ERRORS, rpcErrorBody, type JsonRpcId, type JsonRpcMessage } from './json-rpc.js';
import { SseMessages, type MessageRewrite } from './sse-messages.js';
import type { ConfigView } from '../config/view.js';
import { SOFTWARE_VERSION } from '../version.js';
import { aggregatedTools, initializeResult, sessionHeaders, splitToolName, upstreamSession } from './aggregate.js';
import { heldToolCallConnection } from './held-connection.js';
import { admitToolCall, settleToolCall } from './tool-limits.js';
import { calledTool, filterToolsList } from './tool-access.js';
import type { ToolResultCheck } from './tool-policy.js';

/** Agent headers the MCP transport needs upstream; nothing else crosses (the agent's Authorization least of all). */
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];
/** Headers of one MCP session: on the aggregated endpoint the agent's session is Keyward's, and Keyward's with the server another. */
const SESSION_HEADERS = new Set(['mcp-session-id', 'mcp-protocol-version', 'last-event-id']);
/** Server headers the agent's transport reads. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control'];

/** What one MCP exchange is about, once the agent's key and message were read. */
interface McpExchange {
  readonly record: RequestRecord;
  readonly key: KeyConfig;
  readonly org: OrgConfig;
  readonly server: McpServerConfig;
  /** The agent's message (POST only). */
  readonly message: JsonRpcMessage | null;
  /** What `tool_result` rules make of the server's answer to a `tools/call`. */
  readonly onResult: ToolResultCheck | null;
  /** The aggregated endpoint's session headers with the server, in place of the agent's. */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
}

/**
 * `/mcp/<server>`: a Streamable HTTP MCP endpoint in front of the organization's server of that
 * name. Keyward proxies at the HTTP and JSON-RPC level: it authenticates the agent's Keyward key,
 * reads the one message a POST carries, refuses a `tools/call` the key may not make, swaps the
 * agent's Authorization for the server's credential, and relays the answer (JSON or SSE) with
 * `tools/list` results cut down to the key's tools. Sessions, GET streams, DELETE, notifications,
 * progress and cancellation pass through as the server sends them.
 */
export function mcpHandler(gw: Gateway, aggregated = false): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const incoming = copyRequest(req, res, aggregated ? 0 : 1);
    const client = new ClientResponse(res);
    const body = incoming.method === 'POST' ? readBody(res, client, incoming.headers['content-length'], gw.config.maxBodyBytes) : null;
    void runMcp(gw, incoming, client, body, aggregated);
  };
}

/** Refusals that are the key's lack of access rather than a failure. */
const DENIALS = new Set(['invalid_api_key', 'key_revoked', 'key_expired', 'key_paused', 'key_frozen', 'key_held', 'server_not_allowed', 'tool_not_allowed']);
const CAPTURE_CHARS = 64 * 1024;

async function runMcp(gw: Gateway, incoming: IncomingRequest, client: ClientResponse, body: RequestBody | null, aggregated: boolean): Promise<void> {
  const record = untracedRecord(gw, 'mcp', incoming.method === 'POST' ? 'invalid' : incoming.method, incoming);
  client.setHeader('x-request-id', record.requestId);
  gw.tracker.add(client);
  // As for model calls: the answer ends only once its event is spooled (see \`finish\`).
  client.holdEnd();
  let messageId: JsonRpcId | null = null;
  try {
    const read = await readExchange(gw, incoming, client, body, record, aggregated);
    if (read === null) return;
    messageId = idOf(read.message);
    const exchange = await applyToolPolicy(gw, incoming, client, read);
    const charge = exchange.record.mcpTool !== null ? await admitToolCall(gw, record, exchange.server, exchange.record.mcpTool, messageId) : null;
    try {
      await forward(gw, incoming, client, exchange);
    } finally {
      if (charge)
        await settleToolCall(gw, charge, record).catch((err: unknown) =>
          gw.log.error({ requestId: record.requestId, err }, 'could not settle an MCP tool call'),
        );
    }
  } catch (err) {
    const refusal = asRefusal(err, messageId);
    if (refusal.code === 'internal_error') gw.log.error({ requestId: record.requestId, err }, 'MCP request failed');
    record.fail(refusal.status, refusal.code, refusal.decision ?? ((DENIALS.has(refusal.code) ? 'denied' : 'error') satisfies Decision));
    const answer = () => answerRefusal(client, refusal, body?.ambiguous === true);
    if (body && !body.complete) body.discardThen(answer);
    else answer();
  } finally {
    // Every tool call is recorded, and every message Keyward refused or failed; the rest of the protocol's chatter is not.
    if (record.endpoint === 'tools/call' || record.errorCode !== null) {
      await finish(gw, record, null, () => client.releaseEnd()).catch((err: unknown) =>
        gw.log.error({ requestId: record.requestId, err }, 'could not record an MCP request'),
      );
    }
    client.releaseEnd();
    gw.tracker.delete(client);
  }
}

/** Authenticates the key, finds the server and the key's access to it, and checks the agent's message. */
async function readExchange(
  gw: Gateway,
  incoming: IncomingRequest,
  client: ClientResponse,
  body: RequestBody | null,
  record: RequestRecord,
  aggregated: boolean,
): Promise<McpExchange | null> {
  if (gw.draining()) throw new McpRefusal(503, RPC_ERRORS.refused, 'This gateway node is shutting down; retry the request.', 'draining');
  if (gw.spoolFailure()) throw new McpRefusal(503, RPC_ERRORS.refused, spoolUnavailable().message, 'spool_unavailable');
  const view = gw.view();
  if (!view) throw new McpRefusal(503, RPC_ERRORS.refused, 'The gateway has not received its configuration yet; retry shortly.', 'not_ready');
  if (!['POST', 'GET', 'DELETE'].includes(incoming.method)) {
    throw new McpRefusal(
      405,
      RPC_ERRORS.invalidRequest,
      `${incoming.method} is not part of the MCP Streamable HTTP transport; use POST, GET or DELETE.`,
      'method_not_allowed',
    );
  }
  const check = authenticateKey(bearerOf(incoming.headers.authorization), view, gw.config.keyPepper);
  if (!check.ok) throw new McpRefusal(check.error.status, RPC_ERRORS.refused, check.error.message, check.error.code);
  const { key, org } = check;
  record.key = key;
  record.org = org;
  // A key frozen or held after an anomaly calls no tool until a person has reviewed it: refused here rather than queued.
  const stopped = stoppedKeyError(gw.anomaly, key, true);
  if (stopped) throw new McpRefusal(stopped.status, RPC_ERRORS.refused, stopped.message, stopped.code);
  if (aggregated) return readAggregated(gw, view, incoming, client, body, record);
  const name = decodeURIComponent(incoming.params[0] ?? '');
  const server = view.mcpServer(org.id, name);
  if (!server) throw new McpRefusal(404, RPC_ERRORS.refused, `This organization has no MCP server named "${name}".`, 'not_found');
  const message = body ? await readMessage(body, record) : null;
  checkAccess(record, server, message);
  return { record, key, org, server, message, onResult: null };
}

/** The one JSON-RPC message a POST carries. */
async function readMessage(body: RequestBody, record: RequestRecord): Promise<JsonRpcMessage> {
  let bytes: Buffer;
  try {
    bytes = await body.bytes;
  } catch (err) {
    if (err instanceof GatewayError) throw new McpRefusal(err.status, RPC_ERRORS.invalidRequest, err.message, err.code);
    throw err;
  }
  const message = parseAgentMessage(bytes);
  record.endpoint = message.method ?? 'response';
  return message;
}

/** Refuses a key without access to `server`, and a `tools/call` of a tool the key may not call; notes the tool on the record. */
function checkAccess(record: RequestRecord, server: McpServerConfig, message: JsonRpcMessage | null, deniedStatus = 403): void {
  const key = record.key!;
  record.mcpServer = server.name;
  if (!key.mcpAccess?.some((a) => a.server === server.name)) {
    throw new McpRefusal(deniedStatus, RPC_ERRORS.refused, `This Keyward key may not use MCP server "${server.name}".`, 'server_not_allowed', idOf(message));
  }
  if (message?.method !== 'tools/call') return;
  const id = idOf(message);
  const tool = calledTool(message);
  record.mcpTool = tool;
  if (record.org!.contentCapture)
    record.content = { request: truncateText(JSON.stringify((message.params as { arguments?: unknown }).arguments ?? {}), CAPTURE_CHARS), response: '' };
  if (tool === null) throw new McpRefusal(200, RPC_ERRORS.invalidParams, 'tools/call needs "params.name", the tool to call.', 'invalid_request', id);
  if (!mcpToolAllowed(key.mcpAccess, server.name, tool)) {
    throw new McpRefusal(200, RPC_ERRORS.refused, `This Keyward key may not call the tool "${tool}" of MCP server "${server.name}".`, 'tool_not_allowed', id);
  }
}

/**
 * `/mcp`: one MCP endpoint for every server the key may use. Keyward answers `initialize`,
 * `ping` and `tools/list` itself (every server's tools, named `<server>__<tool>`) and routes a
 * `tools/call` to its server, in a session of Keyward's own with that server. Returns the call to
 * forward, or null when Keyward answered.
 */
async function readAggregated(
  gw: Gateway,
  view: ConfigView,
  incoming: IncomingRequest,
  client: ClientResponse,
  body: RequestBody | null,
  record: RequestRecord,
): Promise<McpExchange | null> {
  const key = record.key!;
  const org = record.org!;
  if (incoming.method === 'GET') {
    throw new McpRefusal(
      405,
      RPC_ERRORS.invalidRequest,
      "The aggregated endpoint /mcp sends no stream of its own; use /mcp/<server> for a server's.",
      'method_not_allowed',
    );
  }
  const json = (message: JsonRpcMessage, extra: [string, string][] = []) =>
    client.send(200, [['content-type', 'application/json'], ...extra], JSON.stringify(message));
  const message = body ? await readMessage(body, record) : null;
  if (message?.method === 'initialize' && isRequest(message)) {
    const opened = await gw.mcpSessions.open(key.id, (message.params as { protocolVersion?: unknown } | undefined)?.protocolVersion);
    json({ jsonrpc: '2.0', id: message.id, result: initializeResult(opened, SOFTWARE_VERSION) }, [['mcp-session-id', opened.id]]);
    return null;
  }
  const id = idOf(message);
  const session = await gw.mcpSessions.find(incoming.headers['mcp-session-id'], key.id);
  // 404 tells an MCP client to initialize again (the session expired, or lived on another node).
  if (!session)
    throw new McpRefusal(
      404,
      RPC_ERRORS.refused,
      'This MCP session of the aggregated endpoint does not exist (any more); initialize a new one.',
      'session_not_found',
      id,
    );
  if (incoming.method === 'DELETE') {
    await gw.mcpSessions.close(session);
    client.send(200, [], '');
    return null;
  }
  if (!message || !isRequest(message)) {
    client.send(202, [], '');
    return null;
  }
  if (message.method === 'ping') {
    json({ jsonrpc: '2.0', id: message.id, result: {} });
    return null;
  }
  if (message.method === 'tools/list') {
    json({ jsonrpc: '2.0', id: message.id, result: { tools: await aggregatedTools(gw, view, key, session) } });
    return null;
  }
  if (message.method !== 'tools/call') {
    throw new McpRefusal(
      200,
      RPC_ERRORS.methodNotFound,
      `The aggregated endpoint /mcp answers initialize, ping, tools/list and tools/call; use /mcp/<server> for "${message.method}".`,
      'method_not_found',
      id,
    );
  }
  const named = calledTool(message);
  const split = named === null ? null : splitToolName(named);
  if (!split) {
    record.mcpTool = named;
    throw new McpRefusal(200, RPC_ERRORS.invalidParams, 'On the aggregated endpoint a tool is named "<server>__<tool>".', 'invalid_request', id);
  }
  const server = view.mcpServer(org.id, split.server);
  if (!server) throw new McpRefusal(200, RPC_ERRORS.refused, `This organization has no MCP server named "${split.server}".`, 'not_found', id);
  const routed: JsonRpcMessage = { ...message, params: { ...(message.params as object), name: split.tool } };
  // Within the aggregated session, a server the key may not use is one call's error, not the session's.
  checkAccess(record, server, routed, 200);
  let upstream;
  try {
    upstream = await upstreamSession(gw, server, session);
  } catch (err) {
    throw err instanceof McpRefusal ? new McpRefusal(200, err.rpcCode, err.message, err.code, id) : upstreamRefusal(server, err, id);
  }
  return { record, key, org, server, message: routed, onResult: null, upstreamHeaders: sessionHeaders(upstream) };
}

/**
 * Runs the key's tool rules on a `tools/call`: refused, held until a person decides, or let
 * through with its arguments as the rules left them and a check for the server's answer.
 */
async function applyToolPolicy(gw: Gateway, incoming: IncomingRequest, client: ClientResponse, exchange: McpExchange): Promise<McpExchange> {
  const { message, record, key, org, server } = exchange;
  const view = gw.view();
  if (!message || message.method !== 'tools/call' || record.mcpTool === null || !view) return exchange;
  const params = (message.params ?? {}) as { arguments?: unknown; _meta?: { progressToken?: unknown } };
  const token = params._meta?.progressToken;
  const args = params.arguments ?? {};
  const verdict = await gw.mcpPolicy.check({
    requestId: record.requestId,
    view,
    org,
    key,
    server: server.name,
    tool: record.mcpTool,
    id: idOf(message),
    arguments: args,
    headers: incoming.headers,
    connection: heldToolCallConnection(
      client,
      record.requestId,
      (incoming.headers.accept ?? '').includes('text/event-stream'),
      record.startedAt,
      typeof token === 'string' || typeof token === 'number' ? token : null,
    ),
    policy: record.policy,
    tags: record.tags,
    get decision() {
      return record.decision;
    },
    set decision(decision) {
      record.decision = decision;
    },
  });
  if (!verdict.proceed) throw verdict.refusal;
  if (verdict.arguments === args) return { ...exchange, onResult: verdict.onResult };
  if (org.contentCapture) record.content = { request: truncateText(JSON.stringify(verdict.arguments), CAPTURE_CHARS), response: '' };
  return { ...exchange, message: { ...message, params: { ...params, arguments: verdict.arguments } }, onResult: verdict.onResult };
}

/** Sends the agent's request to the server with Keyward's credential and relays the answer. */
async function forward(gw: Gateway, incoming: IncomingRequest, client: ClientResponse, exchange: McpExchange): Promise<void> {
  const { server, message } = exchange;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = incoming.headers[name];
    if (value !== undefined && !(exchange.upstreamHeaders && SESSION_HEADERS.has(name))) headers[name] = value;
  }
  Object.assign(headers, exchange.upstreamHeaders);
  const [authName, authValue] = await gw.mcpAuth.header(server);
  headers[authName] = authValue;
  // undici takes an EventEmitter as the abort signal: cheaper than an AbortController per call.
  const abort = new EventEmitter();
  client.onAbort(() => abort.emit('abort'));
  const target = upstreamTarget(server);
  let response: Dispatcher.ResponseData;
  try {
    response = await gw.upstream.request({
      origin: target.origin,
      path: target.path,
      method: incoming.method as Dispatcher.HttpMethod,
      headers,
      body: message ? JSON.stringify(message) : null,
      signal: abort,
      headersTimeout: gw.config.upstreamFirstByteTimeoutMs,
      // A GET stream may stay quiet for as long as the server has nothing to say.
      bodyTimeout: incoming.method === 'GET' ? 0 : gw.config.upstreamIdleTimeoutMs,
    });
  } catch (err) {
    throw upstreamRefusal(server, err, idOf(message));
  }
  if (response.statusCode === 401 || response.statusCode === 403) {
    // The server's own challenge (WWW-Authenticate) is for Keyward's credential, not the agent's: it never reaches the agent.
    await response.body.dump().catch(() => undefined);
    gw.mcpAuth.dropToken(server);
    const id = idOf(message);
    throw new McpRefusal(
      id === null ? 502 : 200,
      RPC_ERRORS.upstreamFailed,
      `MCP server "${server.name}" refused Keyward's credential (${response.statusCode}).`,
      'upstream_auth_failed',
      id,
    );
  }
  const contentType = String(response.headers['content-type'] ?? '');
  exchange.record.stream = contentType.startsWith('text/event-stream');
  const outHeaders: [string, string][] = [];
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string' && !(exchange.upstreamHeaders && SESSION_HEADERS.has(name))) outHeaders.push([name, value]);
  }
  exchange.record.markFirstByte();
  exchange.record.status = response.statusCode;
  const rewrite = rewriteFor(exchange);
  if (contentType.startsWith('application/json') && message) {
    await relayJson(client, response, outHeaders, rewrite, exchange, gw.config.maxBodyBytes);
  } else if (contentType.startsWith('text/event-stream')) {
    await relaySse(client, response, outHeaders, rewrite, exchange);
  } else {
    client.writeHead(response.statusCode, outHeaders);
    for await (const chunk of response.body) await client.write(chunk as Buffer);
    client.end();
  }
}

const targets = new WeakMap<McpServerConfig, { readonly origin: string; readonly path: string }>();

/** The server's origin and path, parsed once per configuration of the server (a new configuration is a new object). */
function upstreamTarget(server: McpServerConfig): { readonly origin: string; readonly path: string } {
  let target = targets.get(server);
  if (target === undefined) {
    const url = new URL(server.url);
    target = { origin: url.origin, path: url.pathname + url.search };
    targets.set(server, target);
  }
  return target;
}

/**
 * What happens to each message of the server's answer: the answer to the agent's request is
 * noted on the record (size, error, content), and a `tools/list` result is cut to the key's tools;
 * every other message goes out unchanged.
 */
function rewriteFor(exchange: McpExchange): MessageRewrite {
  const { message, key, server, record, org, onResult } = exchange;
  if (!message || !isRequest(message)) return () => null;
  return (received) => {
    if (received.id !== message.id || (received.result === undefined && received.error === undefined)) return null;
    const checked = received.result !== undefined && onResult ? onResult(received) : null;
    const answer = checked ?? received;
    if (checked?.error !== undefined) {
      record.fail(record.status, 'result_blocked', 'blocked');
    } else if (answer.error !== undefined) {
      record.fail(record.status, 'upstream_rpc_error');
    } else {
      const result = JSON.stringify(answer.result);
      record.resultBytes = Buffer.byteLength(result);
      if ((answer.result as { isError?: unknown }).isError === true) record.tags.push('tool_error');
      if (record.content && org.contentCapture) record.content = { request: record.content.request, response: truncateText(result, CAPTURE_CHARS) };
    }
    if (message.method === 'tools/list' && answer.result !== undefined) return filterToolsList(answer, key, server.name);
    return checked;
  };
}

async function relayJson(
  client: ClientResponse,
  response: Dispatcher.ResponseData,
  headers: [string, string][],
  rewrite: MessageRewrite,
  exchange: McpExchange,
  limit: number,
): Promise<void> {
  const id = idOf(exchange.message);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > limit)
        throw new McpRefusal(
          200,
          RPC_ERRORS.upstreamFailed,
          `MCP server "${exchange.server.name}" answered more than ${limit} bytes.`,
          'response_too_large',
          id,
        );
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    response.body.destroy();
    throw err instanceof McpRefusal ? err : upstreamRefusal(exchange.server, err, id);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let answer: JsonRpcMessage;
  try {
    answer = JSON.parse(text) as JsonRpcMessage;
  } catch {
    throw new McpRefusal(200, RPC_ERRORS.upstreamFailed, `MCP server "${exchange.server.name}" answered with invalid JSON.`, 'upstream_error', id);
  }
  const replaced = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? rewrite(answer) : null;
  const out = replaced ? JSON.stringify(replaced) : text;
  if (!client.headersSent) return client.send(response.statusCode, headers, out);
  // A held call's answer already started as a stream: the server's JSON answer is its last event.
  await client.write(`event: message\ndata: ${out}\n\n`);
  client.end();
}

async function relaySse(
  client: ClientResponse,
  response: Dispatcher.ResponseData,
  headers: [string, string][],
  rewrite: MessageRewrite,
  exchange: McpExchange,
): Promise<void> {
  const { record, server } = exchange;
  const id = idOf(exchange.message);
  let answered = false;
  const events = new SseMessages((message) => {
    if (id !== null && message.id === id && (message.result !== undefined || message.error !== undefined)) answered = true;
    return rewrite(message);
  });
  if (!client.headersSent) client.writeHead(response.statusCode, headers);
  let failure: McpRefusal | null = null;
  try {
    for await (const chunk of response.body) {
      const text = events.push(chunk as Buffer);
      if (text) await client.write(text);
      if (!client.open) break;
    }
    const rest = events.end();
    if (rest) await client.write(rest);
  } catch (err) {
    failure = upstreamRefusal(server, err, id);
  }
  if (!client.open) {
    record.fail(499, client.closeCode);
    return;
  }
  // The agent's request still gets an answer, an error, so its client stops waiting.
  if (id !== null && !answered) {
    failure ??= new McpRefusal(200, RPC_ERRORS.upstreamFailed, `MCP server "${server.name}" ended its stream without answering.`, 'upstream_incomplete', id);
    await client.write(`event: message\ndata: ${rpcErrorBody(id, failure.rpcCode, failure.message)}\n\n`);
  }
  if (failure) record.fail(response.statusCode, failure.code);
  client.end();
}

/**
 * A failure to reach the server or read its answer. A request (with an id) gets it as its
 * JSON-RPC answer on a 200, which MCP clients hand to the caller as the call's error; anything
 * else gets the HTTP status.
 */
function upstreamRefusal(server: McpServerConfig, err: unknown, id: JsonRpcId | null): McpRefusal {
  const code = (err as { code?: string } | null)?.code ?? '';
  const name = (err as Error | null)?.name ?? '';
  const refuse = (status: number, message: string, stableCode: string) =>
    new McpRefusal(id === null ? status : 200, RPC_ERRORS.upstreamFailed, message, stableCode, id);
  if (name === 'UnsafeAddressError' || code === 'ERR_KEYWARD_UNSAFE_ADDRESS') {
    return refuse(502, `The address of MCP server "${server.name}" is not allowed for upstream connections.`, 'upstream_blocked');
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return refuse(504, `MCP server "${server.name}" did not answer in time.`, 'upstream_timeout');
  }
  return refuse(502, `MCP server "${server.name}" could not be reached or broke off its answer.`, 'upstream_unavailable');
}

/** Any failure as a refusal to answer with, naming the agent's request id when it had one. */
function asRefusal(err: unknown, id: JsonRpcId | null): McpRefusal {
  if (err instanceof McpRefusal) return err.id !== null || id === null ? err : new McpRefusal(err.status, err.rpcCode, err.message, err.code, id);
  return new McpRefusal(500, RPC_ERRORS.internalError, 'Keyward failed to handle this MCP request.', 'internal_error', id);
}

/** The id of a request the agent sent, or null (a notification, a response, a GET or DELETE). */
function idOf(message: JsonRpcMessage | null): JsonRpcId | null {
  return message && isRequest(message) ? message.id : null;
}

function answerRefusal(client: ClientResponse, refusal: McpRefusal, closeConnection: boolean): void {
  if (client.headersSent) {
    // A held call's stream is open: the refusal is its answer.
    void client.write(`event: message\ndata: ${rpcErrorBody(refusal.id, refusal.rpcCode, refusal.message)}\n\n`);
    client.end();
    return;
  }
  const headers: [string, string][] = [['content-type', 'application/json']];
  if (refusal.status === 503) headers.push(['retry-after', '1']);
  client.send(refusal.status, headers, rpcErrorBody(refusal.id, refusal.rpcCode, refusal.message), closeConnection);
}

/** The token of `Authorization: Bearer <token>`, or null. */
function bearerOf(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(.+)$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
