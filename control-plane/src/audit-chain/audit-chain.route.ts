import { once } from 'node:events';
import type { Request, Response } from 'express';
import { answerDownloadFailure, routeCaller } from '../auth/route-caller.js';
import type { Permission } from '../auth/roles.js';
import { AppError } from '../errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { auditTrailLines, trailRange } from './trail.service.js';

/** Reading the trail as a file needs what reading the admin log in GraphQL needs. */
const TRAIL_EXPORT_PERMISSION: Permission = 'audit:read';

/** Where anyone finds the public keys that sign checkpoints, without signing in. */
const AUDIT_KEYS_PATH = '/.well-known/keyward-audit-keys.json';

/**
 * `GET /.well-known/keyward-audit-keys.json`: `{ keys: [{ keyId, algorithm, publicKey, createdAt }] }`
 * (public keys as base64 SPKI DER), no authentication.
 *
 * `GET /v1/audit/trail.ndjson?from=…&to=…` (ISO 8601, both optional): the caller's organization's
 * chained usage events and audit entries with their hashes and checkpoints, one JSON object a
 * line (`trail-lines.ts`), streamed page by page. Same authentication as statements, with
 * `audit:read`. Errors before the first line are `{ error: { code, message } }` with 400, 401,
 * 403 or 503; a failure after it cuts the download short, so it never looks complete.
 */
export const registerAuditChainRoutes: RouteRegistrar = (app, services) => {
  app.get(AUDIT_KEYS_PATH, async (_req: Request, res: Response) => {
    try {
      const keys = await services.auditSigner.publicKeys();
      res.setHeader('cache-control', 'public, max-age=300');
      res.json({ keys: keys.map((k) => ({ ...k, createdAt: k.createdAt.toISOString() })) });
    } catch (error) {
      answerDownloadFailure(services, res, error, 'listing audit signing keys');
    }
  });

  app.get('/v1/audit/trail.ndjson', async (req: Request, res: Response) => {
    try {
      const viewer = await routeCaller(services, req, TRAIL_EXPORT_PERMISSION, 'export the audit trail');
      const range = trailRange(viewer.orgId, timeParam(req, 'from'), timeParam(req, 'to'));
      res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('content-disposition', 'attachment; filename="keyward-audit-trail.ndjson"');
      res.setHeader('cache-control', 'private, no-store');
      for await (const line of auditTrailLines(services, range)) {
        if (!res.write(`${JSON.stringify(line)}\n`)) await once(res, 'drain');
      }
      res.end();
    } catch (error) {
      if (!res.headersSent) {
        res.removeHeader('content-type');
        res.removeHeader('content-disposition');
        return answerDownloadFailure(services, res, error, 'exporting the audit trail');
      }
      services.log.error({ err: error }, 'audit trail export failed part way; the download was cut short');
      res.destroy();
    }
  });
};

function timeParam(req: Request, name: 'from' | 'to'): Date | null {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return null;
  const at = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? new Date(raw) : null;
  if (!at || Number.isNaN(at.getTime())) throw new AppError('BAD_USER_INPUT', `${name} must be an ISO 8601 date or time, like 2026-01-31T00:00:00Z.`);
  return at;
}
