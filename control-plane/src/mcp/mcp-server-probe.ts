import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { createGuardedAgent, openSecret, UnsafeAddressError, type McpServerAuth } from '@keyward/shared';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { mcpServerAad, type McpServer } from './mcp-server.entity.js';

/** How long the whole test may take: connecting, the token, initialize and every page of tools/list. */
const PROBE_TIMEOUT_MS = 15_000;
/** A server listing more tools than this is cut off, so a runaway server cannot hold the request. */
const MAX_PAGES = 20;

/** One tool a server offers, as its tools/list answer names it. */
export interface ProbedTool {
  readonly name: string;
  readonly description: string | null;
  readonly inputSchema: Record<string, unknown>;
}

/**
 * Connects to an MCP server with its stored credential, through the same address rules as its
 * URL when saved (public addresses only), and lists the tools it offers. Failures are one
 * sentence naming the server and the cause; the credential never appears in them.
 */
export async function probeMcpServer(services: Services, orgId: string, server: McpServer): Promise<ProbedTool[]> {
  const agent = createGuardedAgent({ allowLoopback: services.config.allowLoopbackUpstreams, connect: { timeout: PROBE_TIMEOUT_MS } });
  // Ends the test at the deadline, and once done ends what the SDK keeps open (its GET event stream).
  const done = new AbortController();
  const deadline = AbortSignal.any([done.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
  const client = new Client({ name: 'keyward-connection-test', version: '1.0.0' });
  let secret: string | null = null;
  try {
    secret = await openSecret(services.kms, server.sealed(), mcpServerAad(orgId, server.id)).catch(() => {
      throw new AppError('UPSTREAM_UNREACHABLE', `The credential of MCP server "${server.name}" could not be unwrapped.`);
    });
    const header = await authHeader(server.auth, secret, agent, deadline, server.name);
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { [header[0]]: header[1] } },
      fetch: ((url: string | URL, init?: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher: agent, signal: deadline } as Parameters<typeof undiciFetch>[1])) as typeof fetch,
    });
    await client.connect(transport, { signal: deadline });
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await client.listTools(cursor ? { cursor } : undefined, { signal: deadline });
      tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return tools.map((t) => ({ name: t.name, description: t.description ?? null, inputSchema: t.inputSchema as Record<string, unknown> }));
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('UPSTREAM_UNREACHABLE', `Keyward could not list the tools of MCP server "${server.name}": ${cause(error, secret)}.`);
  } finally {
    done.abort();
    await client.close().catch(() => undefined);
    await agent.destroy().catch(() => undefined);
  }
}

/** The header that authenticates Keyward, an OAuth access token asked for as nodes do (client credentials grant, HTTP Basic client authentication). */
async function authHeader(auth: McpServerAuth, secret: string, agent: Dispatcher, signal: AbortSignal, serverName: string): Promise<readonly [string, string]> {
  if (auth.kind === 'bearer') return ['authorization', `Bearer ${secret}`];
  if (auth.kind === 'header') return [auth.headerName, secret];
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope) form.set('scope', auth.scope);
  const failed = (why: string) => new AppError('UPSTREAM_UNREACHABLE', `Keyward could not get an access token for MCP server "${serverName}": ${why}.`);
  const response = await undiciFetch(auth.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: form.toString(),
    dispatcher: agent,
    signal,
  }).catch((error: unknown) => {
    throw failed(cause(error, secret));
  });
  if (!response.ok) throw failed(`the token URL answered HTTP ${response.status}`);
  const body = (await response.json().catch(() => null)) as { access_token?: unknown } | null;
  if (typeof body?.access_token !== 'string' || body.access_token === '') throw failed('the token URL answered without an access_token');
  return ['authorization', `Bearer ${body.access_token}`];
}

/** The cause of a failure in words, without a stack and never quoting the secret. */
function cause(error: unknown, secret: string | null): string {
  const root = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  let message: string;
  if (root instanceof UnsafeAddressError) message = root.message;
  else if (root instanceof Error && root.name === 'TimeoutError') message = `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  else if (root instanceof Error && 'code' in root && typeof root.code === 'string' && /^E[A-Z]+$/.test(root.code))
    message = `connection failed (${root.code})`;
  else message = error instanceof Error ? error.message : String(error);
  message = message.replace(/\s+/g, ' ').replace(/\.$/, '').slice(0, 300);
  return secret ? message.split(secret).join('…') : message;
}
