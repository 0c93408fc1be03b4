import { parseSecret, validateApprovalOutcome, validateApprovalRequest, WireError } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isDatabaseUnavailable } from '../events/database-errors.js';
import type { RouteRegistrar } from '../http/routes.js';
import type { Logger } from '../logger.js';
import { findNodeViewer } from '../nodes/node-auth.js';
import type { Services } from '../services.js';
import type { ApprovalRequest } from './approval.entity.js';
import { NodeRequestError, receiveApprovalRequest, recordApprovalOutcome, type NodeCaller } from './approval-node.service.js';

/** Where nodes post approval requests; outcomes go to `${APPROVALS_PATH}/<id>/outcome`. */
export const APPROVALS_PATH = '/v1/node/approvals';
/** Largest request body: a summary of a long conversation fits easily. */
const MAX_BODY_BYTES = 512 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The node side of approvals, with a node token in `Authorization: Bearer kwn_…`:
 *
 * - `POST /v1/node/approvals` with an `ApprovalRequestMessage`: 201 `{ id, status, expiresAt }`
 *   when stored, 200 with the same body when this id was already stored (a retry).
 * - `POST /v1/node/approvals/:id/outcome` with an `ApprovalOutcomeMessage`: 200 `{ id, status, outcome }`.
 *
 * Errors are `{ error: { code, message } }`: 400 (the message names the bad field), 401, 403 (an
 * organization the token does not serve), 404, 409, 413, or 503 when the database is away.
 */
export const registerNodeApprovalRoutes: RouteRegistrar = (app, services) => {
  const json = express.json({ limit: MAX_BODY_BYTES });

  app.post(APPROVALS_PATH, authenticateNode(services), json, async (req, res) => {
    try {
      const message = validateApprovalRequest(req.body);
      const { created, approval } = await receiveApprovalRequest(services, res.locals.node as NodeCaller, message);
      res.status(created ? 201 : 200).json(answer(approval));
    } catch (error) {
      failure(res, services.log, error, 'INVALID_APPROVAL_REQUEST');
    }
  });

  app.post(`${APPROVALS_PATH}/:id/outcome`, authenticateNode(services), json, async (req, res) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) {
      sendError(res, 400, 'INVALID_APPROVAL_OUTCOME', 'the approval id in the path must be a UUID.');
      return;
    }
    try {
      const message = validateApprovalOutcome(req.body);
      const approval = await recordApprovalOutcome(services, res.locals.node as NodeCaller, id, message);
      res.json({ ...answer(approval), outcome: approval.outcome });
    } catch (error) {
      failure(res, services.log, error, 'INVALID_APPROVAL_OUTCOME');
    }
  });

  app.use(APPROVALS_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string };
    if (e.type === 'entity.too.large') sendError(res, 413, 'PAYLOAD_TOO_LARGE', `An approval message may be at most ${MAX_BODY_BYTES} bytes.`);
    else if (e.type === 'entity.parse.failed') sendError(res, 400, 'INVALID_APPROVAL_REQUEST', 'The body is not valid JSON.');
    else failure(res, services.log, err, 'INVALID_APPROVAL_REQUEST');
  });
};

function answer(approval: ApprovalRequest) {
  return { id: approval.id, status: approval.status, expiresAt: approval.expiresAt.toISOString() };
}

/** Checks the node token before the body is read, so strangers cannot make us parse it. */
function authenticateNode(services: Services) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1];
    if (!token || parseSecret(token)?.kind !== 'node_token') {
      sendError(res, 401, 'UNAUTHENTICATED', 'Send a data-plane node token as "Authorization: Bearer kwn_…".');
      return;
    }
    try {
      const viewer = await findNodeViewer(services, services.orm.em.fork({ clear: true }) as EntityManager, token);
      if (!viewer || viewer.kind !== 'node') {
        sendError(res, 401, 'UNAUTHENTICATED', 'This node token is unknown or revoked.');
        return;
      }
      res.locals.node = { tokenId: viewer.nodeId, orgId: viewer.orgId } satisfies NodeCaller;
      next();
    } catch (error) {
      failure(res, services.log, error, 'UNAUTHENTICATED');
    }
  };
}

function failure(res: Response, log: Logger, error: unknown, invalidCode: string): void {
  if (error instanceof WireError) {
    sendError(res, 400, invalidCode, error.message);
  } else if (error instanceof NodeRequestError) {
    sendError(res, error.status, error.code, error.message);
  } else if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, 'database unavailable while handling an approval message');
    res.setHeader('retry-after', '5');
    sendError(res, 503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly.');
  } else {
    log.error({ err: error }, 'could not handle an approval message');
    sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  }
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
