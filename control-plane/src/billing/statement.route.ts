import type { Request, Response } from 'express';
import { answerDownloadFailure, routeCaller } from '../auth/route-caller.js';
import type { Permission } from '../auth/roles.js';
import { forkForOrg } from '../graphql/context.js';
import { sendRouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { buildStatement, statementCsv } from './statement.js';

/** The permission a caller needs to download statements (the same as reading them in GraphQL). */
const STATEMENT_PERMISSION: Permission = 'org:read';

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
      const viewer = await routeCaller(services, req, STATEMENT_PERMISSION, 'download statements');
      const statement = await buildStatement(services.config.edition, forkForOrg(services, viewer.orgId), viewer.orgId, match[1]);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="keyward-statement-${statement.month}.csv"`);
      res.setHeader('cache-control', 'private, no-store');
      res.send(statementCsv(statement));
    } catch (error) {
      answerDownloadFailure(services, res, error, 'building a statement');
    }
  });
};
