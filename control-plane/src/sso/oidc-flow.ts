import { createHmac } from 'node:crypto';
import { createGuardedAgent } from '@keyward/shared';
import * as oidc from 'openid-client';
import { fetch as guardedFetch } from 'undici';

/** What the flow needs to talk to one organization's identity provider. */
export interface OidcClientSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Plain http and loopback addresses are allowed (development and tests only). */
  readonly allowLoopback: boolean;
}

/** Why a sign-in through the identity provider was refused; each has its own sentence. */
export type SsoRefusalReason =
  | 'PROVIDER_UNREACHABLE'
  | 'PROVIDER_ERROR'
  | 'TOKEN_REQUEST_REFUSED'
  | 'ID_TOKEN_SIGNATURE'
  | 'ID_TOKEN_AUDIENCE'
  | 'ID_TOKEN_ISSUER'
  | 'ID_TOKEN_NONCE'
  | 'ID_TOKEN_EXPIRED'
  | 'ID_TOKEN_INVALID'
  | 'STATE_INVALID'
  | 'EMAIL_MISSING'
  | 'EMAIL_UNVERIFIED'
  | 'EMAIL_DOMAIN'
  | 'SSO_NOT_CONFIGURED'
  | 'PLAN_REQUIRED';

/** A refused sign-in: `message` is safe to show the person and to store in the audit trail. */
export class SsoRefusal extends Error {
  override name = 'SsoRefusal';
  constructor(
    readonly reason: SsoRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The PKCE verifier and nonce of a sign-in, derived from its state so neither is stored. */
export interface FlowSecrets {
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce: string;
}

/** Derives a sign-in's verifier and nonce from its state with `key` (a purpose key of the control plane). */
export function flowSecrets(key: Buffer, state: string): FlowSecrets {
  const derive = (what: string) => createHmac('sha256', key).update(`${what}:${state}`).digest('base64url');
  return { state, codeVerifier: derive('pkce-verifier'), nonce: derive('nonce') };
}

/**
 * One conversation with an identity provider: discovery through an agent that refuses private
 * addresses (as credential base URLs are), ID-token signatures checked against the provider's
 * JWKS (not only trusted because TLS carried them). `close` releases the agent.
 */
export async function openOidcClient(settings: OidcClientSettings): Promise<{ config: oidc.Configuration; close(): Promise<void> }> {
  const agent = createGuardedAgent({ allowLoopback: settings.allowLoopback, connect: { timeout: 10_000 } });
  const fetchThroughAgent: oidc.CustomFetch = (url, options) =>
    guardedFetch(url, { ...options, dispatcher: agent } as Parameters<typeof guardedFetch>[1]) as unknown as Promise<Response>;
  try {
    const config = await oidc.discovery(new URL(settings.issuer), settings.clientId, { client_secret: settings.clientSecret }, undefined, {
      [oidc.customFetch]: fetchThroughAgent,
      execute: settings.issuer.startsWith('http:') ? [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] : [oidc.enableNonRepudiationChecks],
      timeout: 10,
    });
    return { config, close: () => agent.close() };
  } catch (error) {
    await agent.close();
    throw new SsoRefusal(
      'PROVIDER_UNREACHABLE',
      `The identity provider's discovery document could not be read from the issuer URL (${describe(error)}); check the issuer URL in the SSO settings.`,
    );
  }
}

/** The provider's authorization URL for a sign-in: code flow, PKCE (S256), state and nonce. */
export async function authorizationUrl(config: oidc.Configuration, redirectUri: string, secrets: FlowSecrets, loginHint: string | null): Promise<URL> {
  const parameters: Record<string, string> = {
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    state: secrets.state,
    nonce: secrets.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
    code_challenge_method: 'S256',
  };
  if (loginHint) parameters.login_hint = loginHint;
  return oidc.buildAuthorizationUrl(config, parameters);
}

/**
 * Exchanges the code the provider sent back for tokens and returns the validated ID token's
 * claims: signature, issuer, audience, expiry and nonce checked by openid-client; any failure is
 * an `SsoRefusal` naming what was wrong. Providers that keep profile claims out of the ID token
 * (the OpenID default for scope-requested claims) are asked at their userinfo endpoint, whose
 * answer must name the same subject.
 */
export async function finishAuthorization(config: oidc.Configuration, callbackUrl: URL, secrets: FlowSecrets): Promise<Record<string, unknown>> {
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: secrets.codeVerifier,
      expectedState: secrets.state,
      expectedNonce: secrets.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new SsoRefusal('ID_TOKEN_INVALID', 'The identity provider sent no ID token.');
    if (typeof claims.email === 'string') return claims;
    const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { ...userInfo, ...claims, email: userInfo.email, email_verified: userInfo.email_verified };
  } catch (error) {
    throw refusalOf(error);
  }
}

/** Turns what openid-client threw into the sentence a person and an auditor can act on. */
function refusalOf(error: unknown): SsoRefusal {
  if (error instanceof SsoRefusal) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    return new SsoRefusal(
      'PROVIDER_ERROR',
      `The identity provider did not sign you in (${oneLine(error.error)}: ${oneLine(error.error_description ?? 'no detail')}).`,
    );
  }
  if (error instanceof oidc.ResponseBodyError) {
    return new SsoRefusal(
      'TOKEN_REQUEST_REFUSED',
      `The identity provider refused to exchange the sign-in code (${oneLine(error.error)}); check the client id and client secret in the SSO settings.`,
    );
  }
  const code = (error as { code?: string }).code;
  const detail = (error as { cause?: { cause?: { claim?: string } } }).cause?.cause;
  const claim = detail?.claim;
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'aud') {
    return new SsoRefusal('ID_TOKEN_AUDIENCE', 'The ID token was issued for another application (its audience is not this client id), so it was refused.');
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'iss') {
    return new SsoRefusal('ID_TOKEN_ISSUER', "The ID token names another issuer than this organization's identity provider, so it was refused.");
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'nonce') {
    return new SsoRefusal('ID_TOKEN_NONCE', 'The ID token does not belong to this sign-in (its nonce differs), so it was refused; start the sign-in again.');
  }
  if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && claim === 'exp') {
    return new SsoRefusal('ID_TOKEN_EXPIRED', 'The ID token has expired, so it was refused; sign in again (and check the clocks if it keeps happening).');
  }
  if (code === 'OAUTH_KEY_SELECTION_FAILED' || /signature verification failed/.test((error as { cause?: Error }).cause?.message ?? '')) {
    return new SsoRefusal('ID_TOKEN_SIGNATURE', "The ID token's signature does not verify with the identity provider's published keys, so it was refused.");
  }
  if (code?.startsWith('OAUTH_'))
    return new SsoRefusal('ID_TOKEN_INVALID', `The identity provider's answer was refused (${oneLine((error as Error).message)}).`);
  return new SsoRefusal('PROVIDER_UNREACHABLE', `The identity provider could not be reached to finish the sign-in (${describe(error)}).`);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return oneLine(cause?.code ?? cause?.message ?? (error as Error).message ?? String(error));
}

/** Text from elsewhere, cut to one short line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
