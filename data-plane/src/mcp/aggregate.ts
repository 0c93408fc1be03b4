import { randomUUID } from 'node:crypto';
import { mcpToolAllowed, type KeyConfig, type McpServerConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import type { Gateway } from '../pipeline/gateway.js';
import { McpRefusal, RPC_ERRORS, type JsonRpcMessage } from './json-rpc.js';
import { SseMessages } from './sse-messages.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Separates the server from the tool in the aggregated endpoint's tool names; server names hold no underscore, so the first one splits. */
const SEPARATOR = '__';
/** The MCP versions the aggregated endpoint speaks, newest first (those of the official SDK). */
const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/** An agent's aggregated session ends after this long without a message. */
const IDLE_MS = 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

/** Keyward's session with one MCP server, opened for one agent session of the aggregated endpoint. */
interface UpstreamSession {
  readonly sessionId: string | null;
  readonly protocolVersion: string;
}

/** One agent's session of the aggregated endpoint: its key, its version, and Keyward's sessions with each server. */
export interface AggregateSession {
  readonly id: string;
  readonly keyId: string;
  readonly protocolVersion: string;
  lastUsed: number;
  readonly upstream: Map<string, Promise<UpstreamSession>>;
}

/**
 * The aggregated endpoint's sessions, in the node's memory: an agent's `/mcp` session lives on the
 * node that answered its `initialize` (route `/mcp` with session affinity when nodes are several).
 */
export class AggregateSessions {
  private readonly sessions = new Map<string, AggregateSession>();

  constructor(private readonly now: () => number = fleetNow) {}

  open(keyId: string, requestedVersion: unknown): AggregateSession {
    this.prune();
    const protocolVersion = typeof requestedVersion === 'string' && PROTOCOL_VERSIONS.includes(requestedVersion) ? requestedVersion : PROTOCOL_VERSIONS[0]!;
    const session: AggregateSession = { id: randomUUID(), keyId, protocolVersion, lastUsed: this.now(), upstream: new Map() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The key's session of that id, or null (unknown, expired or another key's). */
  find(id: string | undefined, keyId: string): AggregateSession | null {
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session || session.keyId !== keyId || this.now() - session.lastUsed > IDLE_MS) return null;
    session.lastUsed = this.now();
    return session;
  }

  close(session: AggregateSession): void {
    this.sessions.delete(session.id);
  }

  private prune(): void {
    const cutoff = this.now() - IDLE_MS;
    for (const [id, session] of this.sessions) if (session.lastUsed < cutoff) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

/** Keyward's answer to an agent's `initialize` on the aggregated endpoint. */
export function initializeResult(session: AggregateSession, version: string): Record<string, unknown> {
  return { protocolVersion: session.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'keyward', version } };
}

/** `<server>__<tool>` split in two, or null when the name has no server part. */
export function splitToolName(name: string): { server: string; tool: string } | null {
  const at = name.indexOf(SEPARATOR);
  return at <= 0 || at + SEPARATOR.length >= name.length ? null : { server: name.slice(0, at), tool: name.slice(at + SEPARATOR.length) };
}

/** The servers of the key's organization the key may use, by name. */
function serversOf(view: ConfigView, key: KeyConfig): McpServerConfig[] {
  return (key.mcpAccess ?? []).flatMap((a) => view.mcpServer(key.orgId, a.server) ?? []);
}

/**
 * Every tool the key may call on every server it may use, each named `<server>__<tool>`. A server
 * that fails to answer is left out (and logged), so one server down does not hide the others.
 */
export async function aggregatedTools(gw: Gateway, view: ConfigView, key: KeyConfig, session: AggregateSession): Promise<unknown[]> {
  const lists = await Promise.all(
    serversOf(view, key).map(async (server) => {
      try {
        const upstream = await upstreamSession(gw, server, session);
        const answer = await upstreamRequest(gw, server, upstream, { jsonrpc: '2.0', id: 'keyward-tools', method: 'tools/list', params: {} });
        const tools = (answer?.result as { tools?: unknown } | undefined)?.tools;
        if (!Array.isArray(tools)) throw new Error(answer?.error ? answer.error.message : 'no tools in the answer');
        return tools
          .filter((t: { name?: unknown } | null) => typeof t?.name === 'string' && mcpToolAllowed(key.mcpAccess, server.name, t.name))
          .map((t: { name: string }) => ({ ...t, name: `${server.name}${SEPARATOR}${t.name}` }));
      } catch (err) {
        gw.log.warn({ server: server.name, reason: (err as Error).message }, 'an MCP server left out of the aggregated tool list');
        session.upstream.delete(server.name);
        return [];
      }
    }),
  );
  return lists.flat();
}

/** Keyward's session with `server` for this agent session, opened (`initialize`, then `notifications/initialized`) on first use. */
export function upstreamSession(gw: Gateway, server: McpServerConfig, session: AggregateSession): Promise<UpstreamSession> {
  let opened = session.upstream.get(server.name);
  if (!opened) {
    opened = openUpstream(gw, server, session.protocolVersion);
    session.upstream.set(server.name, opened);
    opened.catch(() => session.upstream.delete(server.name));
  }
  return opened;
}

/** The headers a request in `upstream` carries, besides the credential. */
export function sessionHeaders(upstream: UpstreamSession): Record<string, string> {
  return { 'mcp-protocol-version': upstream.protocolVersion, ...(upstream.sessionId ? { 'mcp-session-id': upstream.sessionId } : {}) };
}

async function openUpstream(gw: Gateway, server: McpServerConfig, protocolVersion: string): Promise<UpstreamSession> {
  const initialize = {
    jsonrpc: '2.0' as const,
    id: 'keyward-initialize',
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'keyward', version: '1' } },
  };
  const { answer, sessionId } = await exchange(gw, server, {}, initialize);
  const version = (answer?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
  if (typeof version !== 'string') throw failure(server, 'did not accept the initialization');
  const upstream = { sessionId, protocolVersion: version };
  await exchange(gw, server, sessionHeaders(upstream), { jsonrpc: '2.0', method: 'notifications/initialized' });
  return upstream;
}

/** Sends one request in `upstream` and reads its answer (JSON or SSE). */
function upstreamRequest(gw: Gateway, server: McpServerConfig, upstream: UpstreamSession, message: JsonRpcMessage): Promise<JsonRpcMessage | null> {
  return exchange(gw, server, sessionHeaders(upstream), message).then((r) => r.answer);
}

/** POSTs one message to the server with Keyward's credential; the answer to it (null for a notification) and the session id the server gave. */
async function exchange(
  gw: Gateway,
  server: McpServerConfig,
  headers: Record<string, string>,
  message: JsonRpcMessage,
): Promise<{ answer: JsonRpcMessage | null; sessionId: string | null }> {
  const [authName, authValue] = await gw.mcpAuth.header(server);
  const url = new URL(server.url);
  const response = await gw.upstream.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: 'POST',
    headers: { ...headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json', [authName]: authValue },
    body: JSON.stringify(message),
    headersTimeout: gw.config.upstreamFirstByteTimeoutMs,
    bodyTimeout: gw.config.upstreamIdleTimeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw failure(server, `answered ${response.statusCode}`);
  const sessionHeader = response.headers['mcp-session-id'];
  const sessionId = typeof sessionHeader === 'string' ? sessionHeader : null;
  if (message.id === undefined) return { answer: null, sessionId };
  let answer: JsonRpcMessage | null = null;
  if (String(response.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const events = new SseMessages((m) => {
      if (m.id === message.id) answer = m;
      return null;
    });
    events.push(Buffer.from(text));
    events.push(Buffer.from('\n\n'));
  } else {
    try {
      answer = JSON.parse(text) as JsonRpcMessage;
    } catch {
      throw failure(server, 'answered with invalid JSON');
    }
  }
  return { answer, sessionId };
}

function failure(server: McpServerConfig, what: string): McpRefusal {
  return new McpRefusal(502, RPC_ERRORS.upstreamFailed, `MCP server "${server.name}" ${what}.`, 'upstream_error');
}
