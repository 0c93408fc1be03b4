import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { forkForOrg } from '../graphql/context.js';
import { assertUuid } from '../keys/validators.js';
import type { Services } from '../services.js';
import { enqueueNotifications } from '../webhooks/notify.js';
import { ApprovalRequest, type ApprovalDecision } from './approval.entity.js';
import { ApprovalEvent } from './approval-event.entity.js';
import { ApprovalLinkUse } from './approval-link-use.entity.js';
import { afterApprovalChange } from './approval-publish.js';
import { toApprovalTypes } from './approval-view.js';

/** Longest reason a person may give (it is shown to the agent on rejection). */
const MAX_REASON_LENGTH = 500;
// oxlint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** A decision to record. */
export interface Settlement {
  readonly decision: ApprovalDecision;
  /** `user:<id>`, `token:<id>`, `link:<channel>`; null for an expiry. */
  readonly actor: string | null;
  readonly reason: string | null;
  /** The signed link used, recorded so it cannot be used again. */
  readonly link?: { readonly jti: string; readonly action: 'approve' | 'reject' };
}

/** Checks a decision reason; blank means none. */
export function checkedReason(reason: string | null | undefined): string | null {
  const trimmed = reason?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length > MAX_REASON_LENGTH) throw new AppError('BAD_USER_INPUT', `reason must be at most ${MAX_REASON_LENGTH} characters.`);
  if (CONTROL.test(trimmed)) throw new AppError('BAD_USER_INPUT', 'reason must not contain control characters.');
  return trimmed;
}

/**
 * Records a decision on a pending approval of `orgId`: people's and links' approvals and
 * rejections, and the sweeper's expiries. The row is locked, so a person and the sweeper (or
 * two people) cannot both decide; the loser gets `CONFLICT` saying what happened first. A
 * person's decision arriving after `expiresAt` is refused: the node has already applied its
 * timeout action. The history entry, the `approval.decided` notifications and a used link's
 * record commit with the decision; the node and the live queue hear of it after the commit.
 */
export async function settleApproval(services: Services, orgId: string, id: string, settlement: Settlement): Promise<ApprovalRequest> {
  assertUuid(id, 'an approval id');
  const em = forkForOrg(services, orgId);
  let approval: ApprovalRequest;
  try {
    approval = await em.transactional(async (tx) => {
      const row = await tx.findOne(ApprovalRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw new AppError('NOT_FOUND', `No approval with id ${id} in this organization.`);
      if (settlement.link && (await tx.count(ApprovalLinkUse, { id: settlement.link.jti }))) {
        throw new AppError('CONFLICT', 'This link was already used.');
      }
      assertDecidable(row, settlement.decision);
      const now = new Date();
      row.status = settlement.decision;
      row.decision = settlement.decision;
      row.decidedBy = settlement.decision === 'expired' ? null : settlement.actor;
      row.decisionReason = settlement.reason;
      row.decidedAt = now;
      tx.create(ApprovalEvent, {
        organization: orgId,
        approval: row,
        type: settlement.decision,
        actor: settlement.actor ?? 'system',
        detail: settlement.reason,
      });
      if (settlement.link) {
        tx.create(ApprovalLinkUse, { id: settlement.link.jti, organization: orgId, approval: row, action: settlement.link.action });
      }
      await tx.flush();
      await tx.populate(row, ['key']);
      const [view] = await toApprovalTypes(tx as EntityManager, [row]);
      await enqueueNotifications(tx as EntityManager, orgId, 'approval.decided', { approval: view }, { subjectId: row.id });
      return row;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', 'This link was already used.');
    throw error;
  }
  await afterApprovalChange(services, approval);
  return approval;
}

function assertDecidable(row: ApprovalRequest, decision: ApprovalDecision): void {
  if (row.status !== 'pending') {
    const what = row.decision
      ? `already ${row.decision}${row.decidedAt ? ` at ${row.decidedAt.toISOString()}` : ''}`
      : `no longer waiting (${row.status.replace('_', ' ')})`;
    throw new AppError('CONFLICT', `This request was ${what}.`);
  }
  if (decision !== 'expired' && row.expiresAt.getTime() <= Date.now()) {
    throw new AppError('CONFLICT', `This request expired at ${row.expiresAt.toISOString()}; the node applied its timeout action (${row.onTimeout}).`);
  }
}
