import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApprovalOutcomeMessage, ApprovalRequestMessage } from '@keyward/shared';
import { AppError } from '../errors.js';
import { RouteError } from '../http/rest-errors.js';
import { forkForOrg, type GraphQLContext } from '../graphql/context.js';
import { Key } from '../keys/key.entity.js';
import type { NodeCaller } from '../nodes/node-auth.js';
import { NODE_ID, NODE_ID_RULE } from '../nodes/node.input.js';
import type { Services } from '../services.js';
import { enqueueNotifications } from '../webhooks/notify.js';
import { ApprovalRequest, type ApprovalStatus } from './approval.entity.js';
import { ApprovalEvent } from './approval-event.entity.js';
import { afterApprovalChange, decisionMessageOf } from './approval-publish.js';
import { toApprovalTypes } from './approval-view.js';
import { type DecisionStream } from './decision-stream.js';

/** A request further out than this is refused: no hold waits longer than a day, budgets included. */
const MAX_HOLD_MS = 7 * 24 * 3600 * 1000;

/**
 * Stores an approval request from a node, records it in the request's history, queues the
 * `approval.requested` notifications in the same transaction, then shows it in the live queue
 * and tells the expiry sweeper. A retried POST (same id, same node token) finds the stored
 * request and returns it with `created: false`, so the node can retry freely.
 */
export async function receiveApprovalRequest(
  services: Services,
  node: NodeCaller,
  message: ApprovalRequestMessage,
): Promise<{ created: boolean; approval: ApprovalRequest }> {
  if (node.orgId !== null && message.orgId !== node.orgId) {
    throw new RouteError(403, 'FORBIDDEN', 'approval request "orgId" is an organization this node token does not serve.');
  }
  if (!NODE_ID.test(message.nodeId)) throw new RouteError(400, 'INVALID_APPROVAL_REQUEST', `approval request "nodeId" must be ${NODE_ID_RULE}.`);
  const expiresAt = new Date(message.expiresAt);
  if (expiresAt.getTime() - Date.now() > MAX_HOLD_MS) {
    throw new RouteError(400, 'INVALID_APPROVAL_REQUEST', 'approval request "expiresAt" must be at most 7 days ahead.');
  }
  for (const [field, value] of [
    ['requestId', message.requestId],
    ['endpoint', message.endpoint],
    ['model', message.model ?? ''],
  ] as const) {
    if (value.length > 200) throw new RouteError(400, 'INVALID_APPROVAL_REQUEST', `approval request "${field}" must be at most 200 characters.`);
  }
  if (message.reason.kind === 'policy' && message.reason.ruleId.length > 200) {
    throw new RouteError(400, 'INVALID_APPROVAL_REQUEST', 'approval request "reason.ruleId" must be at most 200 characters.');
  }

  const em = forkForOrg(services, message.orgId);
  const existing = await findExisting(em, node, message);
  if (existing) return { created: false, approval: existing };
  const key = await em.findOne(Key, { id: message.keyId });
  if (!key) {
    throw new RouteError(400, 'INVALID_APPROVAL_REQUEST', `approval request "keyId" is not a key of organization ${message.orgId}.`);
  }
  let approval: ApprovalRequest;
  try {
    approval = await em.transactional(async (tx) => {
      const row = tx.create(ApprovalRequest, {
        id: message.id,
        organization: message.orgId,
        key,
        nodeTokenId: node.tokenId,
        nodeId: message.nodeId,
        requestId: message.requestId,
        phase: message.phase,
        reasonKind: message.reason.kind,
        policyId: message.reason.kind === 'policy' ? message.reason.policyId : null,
        policyVersion: message.reason.kind === 'policy' ? message.reason.policyVersion : null,
        ruleId: message.reason.kind === 'policy' ? message.reason.ruleId : null,
        budgetId: message.reason.kind === 'budget' ? message.reason.budgetId : null,
        api: message.api,
        endpoint: message.endpoint,
        model: message.model,
        summary: message.summary,
        expiresAt,
        onTimeout: message.onTimeout,
      });
      tx.create(ApprovalEvent, { organization: message.orgId, approval: row, type: 'requested', actor: `node:${node.tokenId}`, detail: message.nodeId });
      await tx.flush();
      const [view] = await toApprovalTypes(tx as EntityManager, [row]);
      await enqueueNotifications(tx as EntityManager, message.orgId, 'approval.requested', { approval: view }, { subjectId: row.id });
      return row;
    });
  } catch (error) {
    // The same request posted twice at once: the loser answers like a retry.
    if (error instanceof UniqueConstraintViolationException) {
      const stored = await findExisting(forkForOrg(services, message.orgId), node, message);
      if (stored) return { created: false, approval: stored };
    }
    throw error;
  }
  services.log.info({ approvalId: approval.id, orgId: message.orgId, nodeId: message.nodeId }, 'approval requested');
  await afterApprovalChange(services, approval);
  return { created: true, approval };
}

async function findExisting(em: EntityManager, node: NodeCaller, message: ApprovalRequestMessage): Promise<ApprovalRequest | null> {
  const existing = await em.findOne(ApprovalRequest, { id: message.id }, { filters: { tenant: false } });
  if (!existing) return null;
  if (existing.organization.id !== message.orgId || existing.nodeTokenId !== node.tokenId) {
    throw new RouteError(409, 'CONFLICT', `approval request "id" ${message.id} is already used by another request.`);
  }
  return existing;
}

/** What each outcome means for the request's status. */
const STATUS_OF_OUTCOME: Record<ApprovalOutcomeMessage['outcome'], ApprovalStatus> = {
  forwarded: 'forwarded',
  timed_out_allowed: 'forwarded',
  rejected: 'refused',
  timed_out_blocked: 'refused',
  client_gone: 'refused',
  node_restarted: 'node_lost',
};

/**
 * Records what the node did with a held request. The first outcome wins: the same one again is
 * answered as before, a different one is a conflict. An outcome on a request still pending (the
 * agent hung up, the node restarted, or the node's timer beat the sweeper) ends it: nobody can
 * decide it any more.
 */
export async function recordApprovalOutcome(services: Services, node: NodeCaller, id: string, message: ApprovalOutcomeMessage): Promise<ApprovalRequest> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const approval = await em.transactional(async (tx) => {
    const row = await tx.findOne(ApprovalRequest, { id }, { filters: { tenant: false }, lockMode: LockMode.PESSIMISTIC_WRITE });
    // Another token's request is answered like a missing one: its existence is not this node's business.
    if (!row || row.nodeTokenId !== node.tokenId || (node.orgId !== null && row.organization.id !== node.orgId)) {
      throw new RouteError(404, 'NOT_FOUND', `No approval request ${id} was made with this node token.`);
    }
    if (row.outcome !== null) {
      if (row.outcome === message.outcome) return row;
      throw new RouteError(409, 'CONFLICT', `approval request ${id} already has the outcome "${row.outcome}".`);
    }
    const now = new Date();
    if (row.status === 'pending' && (message.outcome === 'timed_out_allowed' || message.outcome === 'timed_out_blocked')) {
      row.decision = 'expired';
      row.decidedAt = now;
    }
    row.outcome = message.outcome;
    row.outcomeAt = now;
    row.status = STATUS_OF_OUTCOME[message.outcome];
    tx.create(ApprovalEvent, {
      organization: row.organization.id,
      approval: row,
      type: 'outcome',
      actor: `node:${node.tokenId}`,
      detail: message.outcome,
    });
    return row;
  });
  services.log.info({ approvalId: id, outcome: message.outcome }, 'approval outcome reported');
  await afterApprovalChange(services, approval);
  return approval;
}

/**
 * A node's `approvalDecisions` stream: every decision it has not reported an outcome for, then
 * new ones as they are made. The stream is registered before the backlog is read, so nothing
 * decided in between is missed (a decision both read and published is sent once).
 */
export async function openApprovalDecisionStream(ctx: GraphQLContext, nodeId: unknown): Promise<DecisionStream> {
  const viewer = ctx.viewer;
  if (viewer?.kind !== 'node') throw new AppError('FORBIDDEN', 'Only data-plane nodes may do this.');
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) throw new AppError('BAD_USER_INPUT', `nodeId must be ${NODE_ID_RULE}.`);
  let forget = () => {};
  const stream = ctx.services.decisionHub.open(viewer.nodeId, nodeId, ctx.log, () => forget());
  // Registered like config streams, so revoking the node token ends this stream too.
  forget = ctx.services.connectedNodes.add(viewer.nodeId, nodeId, stream);
  let backlog: ApprovalRequest[];
  try {
    backlog = await ctx.services.orm.em
      .fork({ clear: true })
      .find(
        ApprovalRequest,
        { nodeTokenId: viewer.nodeId, nodeId, decision: { $ne: null }, outcome: null },
        { filters: { tenant: false }, orderBy: [{ decidedAt: 'asc' }, { id: 'asc' }] },
      );
  } catch (error) {
    void stream.return();
    throw error;
  }
  for (const row of backlog) {
    const message = decisionMessageOf(row);
    if (message) stream.push(message);
  }
  ctx.log.info({ nodeId, tokenId: viewer.nodeId, backlog: backlog.length }, 'node approval decision stream opened');
  return stream;
}
