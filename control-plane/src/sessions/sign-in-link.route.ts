import express, { type Express, type Request, type Response } from 'express';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { recordAudit } from '../audit/audit.service.js';
import { clientAddress } from '../http/client-address.js';
import { cookieJarFor } from '../http/cookies.js';
import { isSameOrigin } from '../http/same-origin.js';
import type { Services } from '../services.js';
import { isOpaqueToken } from './opaque-token.js';
import { createSession, deleteSessionByToken, pickMembership } from './session.service.js';
import { consumeSignInLink } from './sign-in.service.js';

/** No scripts, no outside resources; the form may only post back here. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * `GET /signin?token=…` shows a page with one button; the button POSTs the token back, which
 * consumes it, sets the session cookie and redirects to `/`. Opening the link changes nothing,
 * so mail scanners and link previews that fetch it do not burn the single use.
 */
export function registerSignInLinkRoutes(app: Express, services: Services): void {
  app.get('/signin', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!isOpaqueToken(token)) return page(res, 400, 'This sign-in link is incomplete', '<p>Copy the whole link from where you found it.</p>');
    page(
      res,
      200,
      'Sign in to Keyward',
      `<form method="post" action="/signin"><input type="hidden" name="token" value="${token}"><button type="submit">Sign in</button></form>` +
        '<p>The link works once.</p>',
    );
  });

  app.post('/signin', express.urlencoded({ extended: false, limit: '2kb' }), async (req: Request, res: Response) => {
    if (!isSameOrigin(req, services.config.publicUrl)) return page(res, 403, 'Cross-site request refused', '');
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const em = services.orm.em.fork({ clear: true });
    const ip = clientAddress(req);
    const userAgent = String(req.headers['user-agent'] ?? '');
    const requestId = String(res.getHeader('x-request-id'));
    const user = await consumeSignInLink(services.config.keyPepper, em, token);
    if (!user) {
      services.log.warn({ requestId }, 'sign-in link refused');
      await recordAudit(services, {
        orgId: null,
        actor: 'anonymous',
        action: 'signInWithLink',
        targetId: null,
        outcome: 'failure',
        errorCode: 'UNAUTHENTICATED',
        args: {},
        ip,
        userAgent,
        requestId,
      });
      return page(res, 400, 'This sign-in link does not work', '<p>It was already used, or it expired. Ask for a sign-in code instead.</p>');
    }
    const cookies = cookieJarFor(req, res, services.config.publicUrl.startsWith('https:'));
    const previous = cookies.get(SESSION_COOKIE);
    if (previous) await deleteSessionByToken(services, em, previous);
    const membership = await pickMembership(em, user.id, []);
    const orgId = membership?.organization.id ?? null;
    const session = await createSession(services, em, { userId: user.id, orgId, ip, userAgent });
    cookies.set(SESSION_COOKIE, session.token, { maxAgeSeconds: services.config.sessionTtlSeconds });
    await recordAudit(services, {
      orgId,
      actor: `user:${user.id}`,
      action: 'signInWithLink',
      targetId: user.id,
      outcome: 'success',
      errorCode: null,
      args: {},
      ip,
      userAgent,
      requestId,
    });
    services.log.info({ userId: user.id, requestId }, 'signed in with a sign-in link');
    res.redirect(303, '/');
  });
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        '<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.5rem}</style>' +
        `</head><body><h1>${title}</h1>${body}</body></html>`,
    );
}
