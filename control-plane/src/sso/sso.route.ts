import { randomBytes } from 'node:crypto';
import { hashSecret, openSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { recordAudit } from '../audit/audit.service.js';
import { derivedKey } from '../auth/derived-key.js';
import { requirePlanFeature } from '../billing/plans.js';
import { AppError } from '../errors.js';
import { clientAddress } from '../http/client-address.js';
import { cookieJarFor } from '../http/cookies.js';
import { escapeHtml, sendPlainPage } from '../http/plain-page.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { Organization } from '../organizations/organization.entity.js';
import type { Services } from '../services.js';
import { startBrowserSession } from '../sessions/browser-session.js';
import { authorizationUrl, finishAuthorization, flowSecrets, openOidcClient, SsoRefusal } from './oidc-flow.js';
import { SsoConnection, ssoSecretAad } from './sso-connection.entity.js';
import { identityOf, joinThroughSso, roleFromGroups } from './sso-membership.js';
import { SsoSignInAttempt, type SsoPurpose } from './sso-sign-in-attempt.entity.js';
import { SSO_CALLBACK_PATH, ssoRedirectUri } from './sso-urls.js';

/** The cookie binding a sign-in to the browser that started it (its value is the state). */
const STATE_COOKIE = 'kw_sso';
/** How long a sign-in may stay at the identity provider. */
const ATTEMPT_MINUTES = 10;
/**
 * Single sign-on over OpenID Connect (authorization code flow with PKCE, state and nonce).
 * `GET /sso/start?org=<slug>` (or `?email=` to find the organization by its domain; `&test=1`
 * for an administrator's test that signs nobody in) sends the browser to the organization's
 * identity provider; `GET /sso/callback` checks what came back, creates the membership on first
 * sign-in and sets the session cookie. Every refusal is a page with one sentence and an audit
 * record.
 */
export const registerSsoRoutes: RouteRegistrar = (app, services) => {
  app.get('/sso/start', async (req, res) => {
    const em = services.orm.em.fork({ clear: true }) as EntityManager;
    let orgId: string | null = null;
    try {
      const connection = await connectionFor(em, req);
      orgId = connection.organization.id;
      await requireSsoPlan(services, em, orgId);
      const purpose: SsoPurpose = req.query.test === '1' ? 'test' : 'sign_in';
      const state = randomBytes(32).toString('base64url');
      em.create(SsoSignInAttempt, {
        organization: orgId,
        stateHash: hashSecret(state, services.config.keyPepper),
        purpose,
        expiresAt: new Date(Date.now() + ATTEMPT_MINUTES * 60_000),
      });
      await em.nativeDelete(SsoSignInAttempt, { expiresAt: { $lt: new Date() } }, { filters: { tenant: false } });
      const client = await openOidcClient(await clientSettings(services, connection));
      try {
        const email = typeof req.query.email === 'string' ? req.query.email.trim().slice(0, 254) : null;
        const url = await authorizationUrl(client.config, ssoRedirectUri(services), flowSecrets(flowKey(services), state), email);
        await em.flush();
        cookieJarFor(req, res, services.config.publicUrl.startsWith('https:')).set(STATE_COOKIE, state, { maxAgeSeconds: ATTEMPT_MINUTES * 60 });
        res.redirect(303, url.toString());
      } finally {
        await client.close();
      }
    } catch (error) {
      await refuse(services, req, res, orgId, 'startSsoSignIn', error);
    }
  });

  app.get(SSO_CALLBACK_PATH, async (req, res) => {
    const em = services.orm.em.fork({ clear: true }) as EntityManager;
    const cookies = cookieJarFor(req, res, services.config.publicUrl.startsWith('https:'));
    let orgId: string | null = null;
    let purpose: SsoPurpose = 'sign_in';
    try {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const bound = cookies.get(STATE_COOKIE);
      cookies.clear(STATE_COOKIE);
      const attempt = state && bound === state ? await consumeAttempt(services, em, state) : null;
      if (!attempt) {
        throw new SsoRefusal('STATE_INVALID', 'This sign-in was not started in this browser, was already used or took too long; start it again.');
      }
      orgId = attempt.organization.id;
      purpose = attempt.purpose;
      const connection = await em.findOne(SsoConnection, { organization: orgId }, { filters: { tenant: false } });
      if (!connection) throw new SsoRefusal('SSO_NOT_CONFIGURED', 'Single sign-on was switched off for this organization while you were signing in.');
      await requireSsoPlan(services, em, orgId);
      const client = await openOidcClient(await clientSettings(services, connection));
      let claims;
      try {
        claims = await finishAuthorization(client.config, new URL(req.originalUrl, ssoRedirectUri(services)), flowSecrets(flowKey(services), state));
      } finally {
        await client.close();
      }
      const identity = identityOf(connection, claims);
      if (purpose === 'test') {
        const role = roleFromGroups(connection.groupRoles, identity.groups) ?? connection.defaultRole;
        await audit(services, req, res, {
          orgId,
          actor: 'anonymous',
          action: 'testSsoSignIn',
          targetId: connection.id,
          outcome: 'success',
          errorCode: null,
          args: { email: identity.email },
        });
        return sendPlainPage(
          res,
          200,
          'Single sign-on works',
          '<p>The identity provider signed this person in, and Keyward accepted the ID token. Nobody was signed in to Keyward.</p><table>' +
            row('Email', identity.email) +
            row('Name', identity.name) +
            row('Groups', identity.groups.join(', ') || '(none)') +
            row('Role on first sign-in', role) +
            '</table>',
        );
      }
      const { user, membership } = await joinThroughSso(em, connection, identity);
      await startBrowserSession(services, em, req, res, user.id, orgId, true);
      await audit(services, req, res, {
        orgId,
        actor: `user:${user.id}`,
        action: 'signInWithSso',
        targetId: user.id,
        outcome: 'success',
        errorCode: null,
        args: { email: identity.email, role: membership.role },
      });
      services.log.info({ userId: user.id, orgId }, 'signed in with single sign-on');
      res.redirect(303, '/');
    } catch (error) {
      await refuse(services, req, res, orgId, purpose === 'test' ? 'testSsoSignIn' : 'signInWithSso', error);
    }
  });
};

/** The connection `?org=<slug>` or `?email=<address>` (its domain) names. */
async function connectionFor(em: EntityManager, req: Request): Promise<SsoConnection> {
  const slug = typeof req.query.org === 'string' ? req.query.org.trim() : '';
  const email = typeof req.query.email === 'string' ? req.query.email.trim().toLowerCase() : '';
  // Before sign-in there is no caller: the tenant filter is off and the lookups name what they want.
  if (slug) {
    const org = await em.findOne(Organization, { slug }, { filters: { tenant: false } });
    const connection = org ? await em.findOne(SsoConnection, { organization: org.id }, { filters: { tenant: false } }) : null;
    if (!connection) throw new SsoRefusal('SSO_NOT_CONFIGURED', `No organization "${slug.slice(0, 64)}" signs in with single sign-on.`);
    return connection;
  }
  const domain = email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : '';
  if (!domain) throw new SsoRefusal('SSO_NOT_CONFIGURED', 'Give your work email (or your organization) to sign in with single sign-on.');
  const rows: { id: string }[] = await em.getConnection().execute('select id from sso_connections where email_domains @> ?::jsonb', [JSON.stringify([domain])]);
  const connection = rows[0] ? await em.findOne(SsoConnection, { id: rows[0].id }, { filters: { tenant: false } }) : null;
  if (!connection)
    throw new SsoRefusal(
      'SSO_NOT_CONFIGURED',
      `No organization signs in with single sign-on for ${domain.slice(0, 100)}; sign in with a password or an emailed code.`,
    );
  return connection;
}

/** Marks the attempt whose state came back used, once: null when unknown, used or expired. */
async function consumeAttempt(services: Services, em: EntityManager, state: string): Promise<SsoSignInAttempt | null> {
  const where = { stateHash: hashSecret(state, services.config.keyPepper), consumedAt: null, expiresAt: { $gt: new Date() } };
  const attempt = await em.findOne(SsoSignInAttempt, where, { filters: { tenant: false } });
  if (!attempt) return null;
  const consumed = await em.nativeUpdate(SsoSignInAttempt, { id: attempt.id, consumedAt: null }, { consumedAt: new Date() }, { filters: { tenant: false } });
  return consumed === 1 ? attempt : null;
}

async function clientSettings(services: Services, connection: SsoConnection) {
  return {
    issuer: connection.issuer,
    clientId: connection.clientId,
    clientSecret: await openSecret(services.kms, connection.sealed(), ssoSecretAad(connection.organization.id, connection.id)),
    allowLoopback: services.config.allowLoopbackUpstreams,
  };
}

/** The key sign-ins derive their PKCE verifier and nonce with. */
function flowKey(services: Services): Buffer {
  return derivedKey(services.config.keyPepper, 'sso-flow');
}

async function requireSsoPlan(services: Services, em: EntityManager, orgId: string): Promise<void> {
  const org = await em.findOneOrFail(Organization, { id: orgId }, { filters: { tenant: false } });
  try {
    requirePlanFeature(services.config.edition, org, 'sso');
  } catch (error) {
    if (error instanceof AppError) throw new SsoRefusal('PLAN_REQUIRED', error.message);
    throw error;
  }
}

/** Answers a refused sign-in with its sentence and records it; anything unexpected is a plain 500, logged. */
async function refuse(services: Services, req: Request, res: Response, orgId: string | null, action: string, error: unknown): Promise<void> {
  if (!(error instanceof SsoRefusal)) {
    services.log.error({ err: error, requestId: res.getHeader('x-request-id') }, 'single sign-on failed');
    return sendPlainPage(res, 500, 'Single sign-on failed', '<p>Something went wrong on our side; try again in a moment.</p>');
  }
  services.log.warn({ orgId, reason: error.reason, requestId: res.getHeader('x-request-id') }, 'single sign-on refused');
  await audit(services, req, res, {
    orgId,
    actor: 'anonymous',
    action,
    targetId: null,
    outcome: 'failure',
    errorCode: error.reason,
    args: { reason: error.message },
  });
  const status = error.reason === 'STATE_INVALID' || error.reason === 'SSO_NOT_CONFIGURED' ? 400 : 403;
  sendPlainPage(
    res,
    status,
    'Single sign-on refused',
    `<p data-reason="${error.reason}">${escapeHtml(error.message)}</p><p><a href="/login">Back to sign-in</a></p>`,
  );
}

async function audit(
  services: Services,
  req: Request,
  res: Response,
  entry: Omit<Parameters<typeof recordAudit>[1], 'ip' | 'userAgent' | 'requestId'>,
): Promise<void> {
  await recordAudit(services, {
    ...entry,
    ip: clientAddress(req),
    userAgent: String(req.headers['user-agent'] ?? ''),
    requestId: String(res.getHeader('x-request-id')),
  });
}

function row(label: string, value: string): string {
  return `<tr><th>${label}</th><td>${escapeHtml(value)}</td></tr>`;
}
