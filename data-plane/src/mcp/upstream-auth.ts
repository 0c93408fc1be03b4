import type { McpServerConfig } from '@keyward/shared';
import type { Dispatcher } from 'undici';
import type { CredentialSecrets } from '../upstream/credential-secrets.js';
import { McpRefusal, RPC_ERRORS } from './json-rpc.js';
import { fleetNow } from '../clock/fleet-clock.js';

interface CachedToken {
  readonly value: Promise<string>;
  /** When to ask for a new one: 30 s before the token's own expiry. */
  readonly renewAt: number;
}

/** Tokens without an `expires_in` are kept this long. */
const DEFAULT_TOKEN_SECONDS = 300;

/**
 * The header that authenticates Keyward to an MCP server: the unwrapped bearer token or API
 * key, or an OAuth access token obtained with the client credentials grant and kept in memory
 * until shortly before it expires (by server id and secret version, so a new secret asks again).
 */
export class McpUpstreamAuth {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly secrets: CredentialSecrets,
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
    private readonly now: () => number = fleetNow,
  ) {}

  async header(server: McpServerConfig): Promise<readonly [string, string]> {
    const auth = server.auth;
    if (auth.kind === 'oauth_client_credentials') return ['authorization', `Bearer ${await this.token(server)}`];
    const secret = await this.secret(server);
    return auth.kind === 'bearer' ? ['authorization', `Bearer ${secret}`] : [auth.headerName.toLowerCase(), secret];
  }

  /** Forgets a server's access token (it answered 401 with it). */
  dropToken(server: McpServerConfig): void {
    this.tokens.delete(`${server.id}:${server.secretVersion}`);
  }

  private async secret(server: McpServerConfig): Promise<string> {
    try {
      return await this.secrets.get(server);
    } catch {
      throw new McpRefusal(502, RPC_ERRORS.upstreamFailed, `The credential of MCP server "${server.name}" could not be unwrapped.`, 'credential_unavailable');
    }
  }

  private token(server: McpServerConfig): Promise<string> {
    const cacheKey = `${server.id}:${server.secretVersion}`;
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.renewAt > this.now()) return cached.value;
    let renewAt = this.now() + DEFAULT_TOKEN_SECONDS * 1000;
    const value = this.requestToken(server).then(({ token, expiresIn }) => {
      renewAt = this.now() + Math.max(0, expiresIn - 30) * 1000;
      this.tokens.set(cacheKey, { value, renewAt });
      return token;
    });
    this.tokens.set(cacheKey, { value, renewAt });
    value.catch(() => this.tokens.delete(cacheKey));
    return value;
  }

  private async requestToken(server: McpServerConfig): Promise<{ token: string; expiresIn: number }> {
    if (server.auth.kind !== 'oauth_client_credentials') throw new Error('not an OAuth server');
    const { tokenUrl, clientId, scope } = server.auth;
    const secret = await this.secret(server);
    const url = new URL(tokenUrl);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    const failed = (why: string) =>
      new McpRefusal(502, RPC_ERRORS.upstreamFailed, `Keyward could not get an access token for MCP server "${server.name}": ${why}.`, 'upstream_auth_failed');
    let status: number;
    let text: string;
    try {
      const response = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          // RFC 6749 §2.3.1: client_secret_basic, the method every server must accept.
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        },
        body: form.toString(),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch {
      throw failed('the token endpoint could not be reached');
    }
    if (status !== 200) throw failed(`the token endpoint answered ${status}`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw failed('the token endpoint answered something other than JSON');
    }
    if (typeof body.access_token !== 'string' || !/^[\x21-\x7e]+$/.test(body.access_token)) throw failed('the answer has no usable access_token');
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token: body.access_token, expiresIn };
  }
}
