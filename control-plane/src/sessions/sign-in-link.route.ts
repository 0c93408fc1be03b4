import express, { type Express, type Request, type Response } from 'express';
import { recordAudit } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { clientAddress } from '../http/client-address.js';
import { sendPlainPage } from '../http/plain-page.js';
import { isSameOrigin } from '../http/same-origin.js';
import type { Services } from '../services.js';
import { enforceRequiredSso } from '../sso/require-sso.js';
import { isOpaqueToken } from './opaque-token.js';
import { startBrowserSession } from './browser-session.js';
import { consumeSignInLink } from './sign-in.service.js';

/**
 * `GET /signin?token=…` shows a page with one button; the button POSTs the token back, which
 * consumes it, sets the session cookie and redirects to `/`. Opening the link changes nothing,
 * so mail scanners and link previews that fetch it do not burn the single use.
 */
export function registerSignInLinkRoutes(app: Express, services: Services): void {
  app.get('/signin', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!isOpaqueToken(token)) return sendPlainPage(res, 400, 'This sign-in link is incomplete', '<p>Copy the whole link from where you found it.</p>');
    sendPlainPage(
      res,
      200,
      'Sign in to Keyward',
      `<form method="post" action="/signin"><input type="hidden" name="token" value="${token}"><button type="submit">Sign in</button></form>` +
        '<p>The link works once.</p>',
    );
  });

  app.post('/signin', express.urlencoded({ extended: false, limit: '2kb' }), async (req: Request, res: Response) => {
    if (!isSameOrigin(req, services.config.publicUrl)) return sendPlainPage(res, 403, 'Cross-site request refused', '');
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
      return sendPlainPage(res, 400, 'This sign-in link does not work', '<p>It was already used, or it expired. Ask for a sign-in code instead.</p>');
    }
    try {
      await enforceRequiredSso({ services, log: services.log, ip, userAgent, requestId }, user.id, 'link');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return sendPlainPage(res, 403, 'Sign in with single sign-on', `<p>${error.message.replace(/"/g, '&quot;')}</p>`);
    }
    const orgId = await startBrowserSession(services, em, req, res, user.id, null);
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
