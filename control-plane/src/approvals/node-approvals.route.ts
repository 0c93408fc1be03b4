import { validateApprovalOutcome, validateApprovalRequest, WireError, isUuid } from '@keyward/shared';
import express, { type Response } from 'express';
import { answerRouteFailure, jsonBodyErrors, sendRouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import type { Logger } from '../logger.js';
import { nodeCallerOf, requireNodeToken } from '../nodes/node-auth.js';
import type { ApprovalRequest } from './approval.entity.js';
import { receiveApprovalRequest, recordApprovalOutcome } from './approval-node.service.js';

/** Where nodes post approval requests; outcomes go to `${APPROVALS_PATH}/<id>/outcome`. */
const APPROVALS_PATH = '/v1/node/approvals';
/** Largest request body: a summary of a long conversation fits easily. */
const MAX_BODY_BYTES = 512 * 1024;

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

  app.post(APPROVALS_PATH, requireNodeToken(services), json, async (req, res) => {
    try {
      const message = validateApprovalRequest(req.body);
      const { created, approval } = await receiveApprovalRequest(services, nodeCallerOf(res), message);
      res.status(created ? 201 : 200).json(answer(approval));
    } catch (error) {
      answerApprovalFailure(res, services.log, error, 'INVALID_APPROVAL_REQUEST');
    }
  });

  app.post(`${APPROVALS_PATH}/:id/outcome`, requireNodeToken(services), json, async (req, res) => {
    const id = String(req.params.id);
    if (!isUuid(id)) {
      sendRouteError(res, 400, 'INVALID_APPROVAL_OUTCOME', 'the approval id in the path must be a UUID.');
      return;
    }
    try {
      const message = validateApprovalOutcome(req.body);
      const approval = await recordApprovalOutcome(services, nodeCallerOf(res), id, message);
      res.json({ ...answer(approval), outcome: approval.outcome });
    } catch (error) {
      answerApprovalFailure(res, services.log, error, 'INVALID_APPROVAL_OUTCOME');
    }
  });

  app.use(APPROVALS_PATH, jsonBodyErrors({ log: services.log, maxBytes: MAX_BODY_BYTES, invalidCode: 'INVALID_APPROVAL_REQUEST', what: 'approval message' }));
};

function answer(approval: ApprovalRequest) {
  return { id: approval.id, status: approval.status, expiresAt: approval.expiresAt.toISOString() };
}

/** A message the wire validator refused is 400 with the route's code; the rest as every route answers. */
function answerApprovalFailure(res: Response, log: Logger, error: unknown, invalidCode: string): void {
  if (error instanceof WireError) sendRouteError(res, 400, invalidCode, error.message);
  else answerRouteFailure(res, log, error, 'handling an approval message');
}
