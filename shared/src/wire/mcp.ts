/**
 * MCP servers in the config contract: the remote servers an organization registers as
 * upstreams (`McpServerConfig`, one config collection) and which of their tools a key may call
 * (`McpAccess`, on `KeyConfig.mcpAccess`). The name and tool rules are here so the control
 * plane refuses what the wire validator would.
 */
import { FieldError, arrayOf, child, count, httpUrl, nonEmptyString, object, oneOf, string, uuid } from './field-checks.js';
import type { SealedSecret } from './config.js';

/**
 * A server's name: lower-case letters, digits and hyphens, starting with a letter or digit, at
 * most 63 characters. It is a path segment (`/mcp/<name>`) and a tool prefix (`<name>__<tool>`),
 * so it holds no underscore that could make the prefix ambiguous.
 */
export const MCP_SERVER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A tool name as the MCP specification allows it: 1 to 128 of A-Z, a-z, 0-9, `_`, `-` and `.`. */
export const MCP_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Every way Keyward authenticates to an MCP server, in a stable order. */
export const MCP_AUTH_KINDS = ['bearer', 'header', 'oauth_client_credentials'] as const;
export type McpAuthKind = (typeof MCP_AUTH_KINDS)[number];

/**
 * How Keyward authenticates to the server; the secret itself is `McpServerConfig.secret`:
 * `bearer` sends it as `Authorization: Bearer <secret>`; `header` sends it in `headerName`;
 * `oauth_client_credentials` exchanges `clientId` and the secret at `tokenUrl` for an access token.
 */
export type McpServerAuth =
  | { readonly kind: 'bearer' }
  | { readonly kind: 'header'; readonly headerName: string }
  | { readonly kind: 'oauth_client_credentials'; readonly tokenUrl: string; readonly clientId: string; readonly scope: string | null };

/** A remote MCP server (Streamable HTTP) of one organization, served by nodes at `/mcp/<name>`. */
export interface McpServerConfig {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  /** The server's MCP endpoint (an absolute http(s) URL, checked against the SSRF rules). */
  readonly url: string;
  readonly auth: McpServerAuth;
  /** The bearer token, header value or OAuth client secret, sealed with `orgId:id`. */
  readonly secret: SealedSecret;
  /** Bumped on every rotation so nodes drop cached plaintext and tokens. */
  readonly secretVersion: number;
  /** Limits and prices of single tools (absent: none). */
  readonly tools?: readonly McpToolSettings[];
}

/**
 * A tool's rate limit and price: each key may call it `callsPerMinute` times a minute (null: no
 * limit), and each call costs `costMicros`, reserved against the key's budgets before the call and
 * settled once it ran.
 */
export interface McpToolSettings {
  readonly name: string;
  readonly callsPerMinute: number | null;
  readonly costMicros: number;
}

/** The tools of one server a key may call: `['*']` for all of them, else their names. */
export interface McpAccess {
  readonly server: string;
  readonly tools: readonly string[];
}

/** A header name an API-key credential may use: a token, and none Keyward sets itself. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'connection',
  'transfer-encoding',
]);

/** Why `name` cannot be an API-key header, or null. */
export function mcpHeaderNameProblem(name: string): string | null {
  if (!HEADER_NAME.test(name)) return 'must be an HTTP header name (letters, digits and -, at most 100 characters)';
  if (RESERVED_HEADERS.has(name.toLowerCase())) return `may not be ${name}, which the MCP transport itself sends`;
  return null;
}

/** Checks a server entry of the config; `sealed` checks its secret. */
export function checkMcpServerFields(value: unknown, path: string, sealed: (value: unknown, path: string) => SealedSecret): McpServerConfig {
  const server = object(value, path);
  uuid(server.id, child(path, 'id'));
  uuid(server.orgId, child(path, 'orgId'));
  const name = string(server.name, child(path, 'name'));
  if (!MCP_SERVER_NAME.test(name)) throw new FieldError(child(path, 'name'), 'must be lower-case letters, digits and hyphens (at most 63)');
  httpUrl(server.url, child(path, 'url'));
  const authPath = child(path, 'auth');
  const auth = object(server.auth, authPath);
  const kind = oneOf(auth.kind, child(authPath, 'kind'), MCP_AUTH_KINDS);
  if (kind === 'header') {
    const problem = mcpHeaderNameProblem(string(auth.headerName, child(authPath, 'headerName')));
    if (problem) throw new FieldError(child(authPath, 'headerName'), problem);
  }
  if (kind === 'oauth_client_credentials') {
    httpUrl(auth.tokenUrl, child(authPath, 'tokenUrl'));
    nonEmptyString(auth.clientId, child(authPath, 'clientId'));
    if (auth.scope !== null) string(auth.scope, child(authPath, 'scope'));
  }
  sealed(server.secret, child(path, 'secret'));
  count(server.secretVersion, child(path, 'secretVersion'));
  if (server.tools !== undefined) checkMcpToolSettings(server.tools, child(path, 'tools'));
  return value as McpServerConfig;
}

/** Checks a server's tool settings: each tool once, a positive whole limit or null, a whole cost of at least 0. */
export function checkMcpToolSettings(value: unknown, path: string): readonly McpToolSettings[] {
  const seen = new Set<string>();
  return arrayOf(value, path, (item, itemPath) => {
    const settings = object(item, itemPath);
    const name = string(settings.name, child(itemPath, 'name'));
    if (!MCP_TOOL_NAME.test(name)) throw new FieldError(child(itemPath, 'name'), 'must be a tool name');
    if (seen.has(name)) throw new FieldError(child(itemPath, 'name'), `repeats the tool "${name}"`);
    seen.add(name);
    if (settings.callsPerMinute !== null) {
      const limit = count(settings.callsPerMinute, child(itemPath, 'callsPerMinute'));
      if (limit < 1) throw new FieldError(child(itemPath, 'callsPerMinute'), 'must be at least 1, or null for no limit');
    }
    count(settings.costMicros, child(itemPath, 'costMicros'));
    return item as McpToolSettings;
  });
}

/** Checks a key's `mcpAccess` list: server names once each, tools `['*']` or tool names. */
export function checkMcpAccess(value: unknown, path: string): readonly McpAccess[] {
  const seen = new Set<string>();
  return arrayOf(value, path, (entry, entryPath) => {
    const access = object(entry, entryPath);
    const server = string(access.server, child(entryPath, 'server'));
    if (!MCP_SERVER_NAME.test(server)) throw new FieldError(child(entryPath, 'server'), 'must be an MCP server name');
    if (seen.has(server)) throw new FieldError(child(entryPath, 'server'), `names "${server}" a second time`);
    seen.add(server);
    const tools = arrayOf(access.tools, child(entryPath, 'tools'), (tool, toolPath) => {
      const name = string(tool, toolPath);
      if (name !== '*' && !MCP_TOOL_NAME.test(name)) throw new FieldError(toolPath, 'must be "*" or a tool name');
      return name;
    });
    if (tools.length === 0) throw new FieldError(child(entryPath, 'tools'), 'must name at least one tool, or "*" for all');
    return access as unknown as McpAccess;
  });
}

/**
 * One access list from several (a key's own, its team's, its organization's): each server once,
 * with every tool any list grants (`*` covers them all).
 */
export function mergeMcpAccess(...lists: readonly (readonly McpAccess[] | undefined)[]): McpAccess[] {
  const byServer = new Map<string, Set<string>>();
  for (const list of lists) {
    for (const entry of list ?? []) {
      const tools = byServer.get(entry.server) ?? new Set<string>();
      for (const tool of entry.tools) tools.add(tool);
      byServer.set(entry.server, tools);
    }
  }
  return [...byServer].map(([server, tools]) => ({ server, tools: tools.has('*') ? ['*'] : [...tools] }));
}

/** Whether `access` lets a key call `tool` on `server`. */
export function mcpToolAllowed(access: readonly McpAccess[] | undefined, server: string, tool: string): boolean {
  const entry = access?.find((a) => a.server === server);
  return entry !== undefined && (entry.tools.includes('*') || entry.tools.includes(tool));
}
