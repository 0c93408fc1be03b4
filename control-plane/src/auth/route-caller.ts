import type { Request, Response } from 'express';
import { AppError } from '../errors.js';
import { forkForOrg } from '../graphql/context.js';
import { readCookie } from '../http/cookies.js';
import { answerRouteFailure, sendRouteError } from '../http/rest-errors.js';
import type { Services } from '../services.js';
import { authenticate, SESSION_COOKIE } from './authenticate.js';
import { roleCan, type Permission } from './roles.js';
import type { Viewer } from './viewer.js';

/**
 * The member behind a plain HTTP download: a person's session cookie (with `x-keyward-org` to
 * pick one of several organizations) or an API token (`Authorization: Bearer kwt_…`) whose
 * role has `permission`. Throws `AppError` UNAUTHENTICATED or FORBIDDEN saying which; `what`
 * completes "Sign in or send an API token to …".
 */
export async function routeCaller(services: Services, req: Request, permission: Permission, what: string): Promise<Viewer & { orgId: string }> {
  const viewer = await authenticate(services, forkForOrg(services, null), {
    authorization: req.headers.authorization,
    sessionToken: readCookie(req.headers.cookie, SESSION_COOKIE),
    orgId: typeof req.headers['x-keyward-org'] === 'string' ? req.headers['x-keyward-org'] : undefined,
  });
  if (!viewer) throw new AppError('UNAUTHENTICATED', `Sign in or send an API token to ${what}.`);
  if (viewer.kind === 'node' || !viewer.orgId || !viewer.role) throw new AppError('FORBIDDEN', `Only members of an organization can ${what}.`);
  if (!roleCan(viewer.role, permission)) throw new AppError('FORBIDDEN', `Your role (${viewer.role}) does not allow ${permission}.`);
  return viewer as Viewer & { orgId: string };
}

/**
 * Answers a download route's failure: an `AppError` with its status (401, 403, 404, else 400),
 * anything else through `answerRouteFailure` (503 for an unreachable database, else a bare 500
 * logged with `what`).
 */
export function answerDownloadFailure(services: Services, res: Response, error: unknown, what: string): void {
  if (error instanceof AppError) {
    const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'FORBIDDEN' ? 403 : error.code === 'NOT_FOUND' ? 404 : 400;
    return sendRouteError(res, status, error.code, error.message);
  }
  answerRouteFailure(res, services.log, error, what);
}
