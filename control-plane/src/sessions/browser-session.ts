import type { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { SESSION_COOKIE } from '../auth/authenticate.js';
import { clientAddress } from '../http/client-address.js';
import { cookieJarFor } from '../http/cookies.js';
import type { Services } from '../services.js';
import { createSession, deleteSessionByToken, pickMembership } from './session.service.js';

/**
 * Signs a person in from a plain HTTP route (a sign-in link, single sign-on): replaces the
 * session the browser already had (no session fixation), starts one in `orgId` (or the person's
 * first organization) and sets the same cookie the GraphQL sign-ins set. With `sso`, the session
 * is confined to `orgId` (see `Session.ssoOrganization`). Returns the organization the session is in.
 */
export async function startBrowserSession(
  services: Services,
  em: EntityManager,
  req: Request,
  res: Response,
  userId: string,
  orgId: string | null,
  sso = false,
): Promise<string | null> {
  const cookies = cookieJarFor(req, res, services.config.publicUrl.startsWith('https:'));
  const previous = cookies.get(SESSION_COOKIE);
  if (previous) await deleteSessionByToken(services, em, previous);
  const membership = await pickMembership(em, userId, [orgId]);
  const activeOrgId = membership?.organization.id ?? null;
  const session = await createSession(services, em, {
    userId,
    orgId: activeOrgId,
    ssoOrgId: sso && orgId ? orgId : undefined,
    ip: clientAddress(req),
    userAgent: String(req.headers['user-agent'] ?? ''),
  });
  cookies.set(SESSION_COOKIE, session.token, { maxAgeSeconds: services.config.sessionTtlSeconds });
  return activeOrgId;
}
