import type { Request, Response } from 'express';
import { authenticate, SESSION_COOKIE } from '../auth/authenticate.js';
import { roleCan } from '../auth/roles.js';
import { AppError } from '../errors.js';
import { forkForOrg } from '../graphql/context.js';
import { readCookie } from '../http/cookies.js';
import { answerRouteFailure, sendRouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import type { Services } from '../services.js';
import { buildStatement, statementCsv } from './statement.js';

/** The permission a caller needs to download statements (the same as reading them in GraphQL). */
const STATEMENT_PERMISSION = 'org:read';

/**
 * `GET /v1/billing/statements/:month.csv` (`2025-03.csv`): the organization's monthly statement
 * as CSV, for a person's session cookie (with `x-keyward-org` to pick one of several
 * organizations) or an API token (`Authorization: Bearer kwt_…`) whose role has `org:read`.
 * Errors are `{ error: { code, message } }` with 400, 401, 403 or 503.
 */
export const registerStatementRoutes: RouteRegistrar = (app, services) => {
  app.get('/v1/billing/statements/:file', async (req: Request, res: Response) => {
    const match = /^(\d{4}-\d{2})\.csv$/.exec(String(req.params.file));
    if (!match) return sendRouteError(res, 404, 'NOT_FOUND', 'Statements are at /v1/billing/statements/YYYY-MM.csv.');
    try {
      const viewer = await authenticate(services, forkForOrg(services, null), {
        authorization: req.headers.authorization,
        sessionToken: readCookie(req.headers.cookie, SESSION_COOKIE),
        orgId: typeof req.headers['x-keyward-org'] === 'string' ? req.headers['x-keyward-org'] : undefined,
      });
      if (!viewer) throw new AppError('UNAUTHENTICATED', 'Sign in or send an API token to download statements.');
      if (viewer.kind === 'node' || !viewer.orgId || !viewer.role) throw new AppError('FORBIDDEN', 'Only members of an organization can download its statements.');
      if (!roleCan(viewer.role, STATEMENT_PERMISSION)) throw new AppError('FORBIDDEN', `Your role (${viewer.role}) does not allow ${STATEMENT_PERMISSION}.`);
      const statement = await buildStatement(services.config.edition, forkForOrg(services, viewer.orgId), viewer.orgId, match[1]);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="keyward-statement-${statement.month}.csv"`);
      res.setHeader('cache-control', 'private, no-store');
      res.send(statementCsv(statement));
    } catch (error) {
      failure(services, res, error);
    }
  });
};

function failure(services: Services, res: Response, error: unknown): void {
  if (error instanceof AppError) {
    const status = error.code === 'UNAUTHENTICATED' ? 401 : error.code === 'FORBIDDEN' ? 403 : error.code === 'NOT_FOUND' ? 404 : 400;
    return sendRouteError(res, status, error.code, error.message);
  }
  answerRouteFailure(res, services.log, error, 'building a statement');
}
