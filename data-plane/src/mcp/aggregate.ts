import { randomUUID } from 'node:crypto';
import { mcpToolAllowed, type KeyConfig, type McpServerConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import type { Gateway } from '../pipeline/gateway.js';
import type { SessionTable } from '../storage/session-table.js';
import { McpRefusal, RPC_ERRORS, type JsonRpcMessage } from './json-rpc.js';
import { SseMessages } from './sse-messages.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Separates the server from the tool in the aggregated endpoint's tool names; server names hold no underscore, so the first one splits. */
const SEPARATOR = '__';
/** The MCP versions the aggregated endpoint speaks, newest first (those of the official SDK). */
const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
/** An agent's aggregated session ends after this long without a message. */
const IDLE_MS = 60 * 60 * 1000;

/** Keyward's session with one MCP server, opened for one agent session of the aggregated endpoint. */
interface UpstreamSession {
  readonly sessionId: string | null;
  readonly protocolVersion: string;
}

/** What the session table keeps of an agent's session: its key, its version, and Keyward's sessions with each server opened so far. */
interface StoredSession {
  readonly keyId: string;
  readonly protocolVersion: string;
  readonly upstream: Record<string, UpstreamSession>;
}

/** One agent's session of the aggregated endpoint, as one request sees it. */
export interface AggregateSession {
  readonly id: string;
  readonly keyId: string;
  readonly protocolVersion: string;
  /** Keyward's sessions with each server, opened or being opened. */
  readonly upstream: Map<string, Promise<UpstreamSession>>;
}

const TABLE_PREFIX = 'mcp-aggregate:';

/** A session's place in the table is under its key, so another key's request with its id finds nothing and keeps nothing open. */
const slot = (keyId: string, id: string) => `${TABLE_PREFIX}${keyId}/${id}`;

/**
 * The aggregated endpoint's sessions, in the node's session table: on one thread its memory; on
 * several workers the table the main thread keeps, so a session opened on one worker is found on
 * every other (route `/mcp` with session affinity when nodes are several). A session ends after
 * an hour without a message.
 */
export class AggregateSessions {
  constructor(
    private readonly table: SessionTable,
    private readonly now: () => number = fleetNow,
  ) {}

  async open(keyId: string, requestedVersion: unknown): Promise<AggregateSession> {
    const protocolVersion = typeof requestedVersion === 'string' && PROTOCOL_VERSIONS.includes(requestedVersion) ? requestedVersion : PROTOCOL_VERSIONS[0]!;
    const stored: StoredSession = { keyId, protocolVersion, upstream: {} };
    const id = randomUUID();
    const now = this.now();
    await this.table.claim(slot(keyId, id), JSON.stringify(stored), now + IDLE_MS, now);
    return { id, keyId, protocolVersion, upstream: new Map() };
  }

  /** The key's session of that id, or null (unknown, expired or another key's); using it keeps it open. */
  async find(id: string | undefined, keyId: string): Promise<AggregateSession | null> {
    if (id === undefined) return null;
    const now = this.now();
    const text = await this.table.get(slot(keyId, id), now, now + IDLE_MS);
    if (text === null) return null;
    const stored = JSON.parse(text) as StoredSession;
    const upstream = new Map(Object.entries(stored.upstream).map(([server, opened]) => [server, Promise.resolve(opened)]));
    return { id, keyId, protocolVersion: stored.protocolVersion, upstream };
  }

  close(session: AggregateSession): Promise<void> {
    return this.table.delete(slot(session.keyId, session.id));
  }

  /**
   * Stores the session's upstream sessions opened so far, for its next request on any thread. Two
   * requests of one session that open servers at once may each store only theirs: the other's is
   * opened again when next used.
   */
  async save(session: AggregateSession): Promise<void> {
    const upstream: Record<string, UpstreamSession> = {};
    for (const [server, opened] of session.upstream) {
      const settled = await opened.catch(() => null);
      if (settled) upstream[server] = settled;
    }
    const now = this.now();
    const stored: StoredSession = { keyId: session.keyId, protocolVersion: session.protocolVersion, upstream };
    await this.table.replace(slot(session.keyId, session.id), JSON.stringify(stored), now + IDLE_MS, now);
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
        // A stored session the server no longer knows is opened afresh next time.
        if (session.upstream.delete(server.name)) await gw.mcpSessions.save(session);
        return [];
      }
    }),
  );
  return lists.flat();
}

/**
 * Keyward's session with `server` for this agent session, opened (`initialize`, then
 * `notifications/initialized`) on first use and stored with the agent's session for its next requests.
 */
export async function upstreamSession(gw: Gateway, server: McpServerConfig, session: AggregateSession): Promise<UpstreamSession> {
  const known = session.upstream.get(server.name);
  if (known) return known;
  const opening = openUpstream(gw, server, session.protocolVersion);
  session.upstream.set(server.name, opening);
  let opened: UpstreamSession;
  try {
    opened = await opening;
  } catch (err) {
    session.upstream.delete(server.name);
    throw err;
  }
  await gw.mcpSessions.save(session);
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
