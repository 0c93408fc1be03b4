import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** A person the provider knows: the login typed on its sign-in page is the key. */
interface ProviderAccount {
  readonly email: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  readonly groups?: readonly string[];
}

/** How an ID token is changed on its way out, for tests of what Keyward refuses. */
interface IdTokenTamper {
  /** Claims to overwrite (e.g. `{ aud: 'someone-else' }`). */
  readonly claims?: Record<string, unknown>;
  /** Signs with a key the provider never published. */
  readonly foreignKey?: boolean;
}

/** A real OpenID provider (`oidc-provider`) on a loopback port, with one confidential client. */
export interface OpenIdProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** People who can sign in, by login. */
  readonly accounts: Map<string, ProviderAccount>;
  /** Set to have the next ID tokens changed (and re-signed) on the way out; null: as issued. */
  tamper: IdTokenTamper | null;
  close(): Promise<void>;
}

/**
 * Starts `oidc-provider` with its own development login page (any password; the login is the
 * account), PKCE required, RS256 ID tokens carrying `email`, `name` and `groups`, and consent
 * granted up front so the page a person sees is the sign-in form.
 */
export async function startOpenIdProvider(redirectUri: string): Promise<OpenIdProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = 'test-key';
  const clientId = 'keyward-test';
  const clientSecret = randomBytes(24).toString('base64url');
  const accounts = new Map<string, ProviderAccount>();

  const configuration: Configuration = {
    clients: [
      { client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } as never] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email_verified: true, ...account, groups: account.groups ? [...account.groups] : [] }) };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const handle: OpenIdProvider = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    tamper: null,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  // Koa middleware after the token endpoint answered: the tests' tampering happens on the wire, as an attacker's would.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (ctx.path === '/token' && handle.tamper && body?.id_token) {
      ctx.body = { ...body, id_token: resign(body.id_token, handle.tamper, handle.tamper.foreignKey ? foreign : privateKey) };
    }
  });
  server.on('request', provider.callback());
  return handle;
}

/** The JWT with its claims changed and signed again (RS256) with `key`. */
function resign(jwt: string, tamper: IdTokenTamper, key: KeyObject): string {
  const [header, payload] = jwt.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...tamper.claims };
  const signed = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}
