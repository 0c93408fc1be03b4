import type { ApprovalDecisionMessage } from '@keyward/shared';
import { forkForOrg } from '../graphql/context.js';
import type { Services } from '../services.js';
import { wakeDeliveries } from '../webhooks/notify.js';
import { ApprovalRequest } from './approval.entity.js';
import type { ApprovalType } from './approval.type.js';
import { toApprovalTypes } from './approval-view.js';

/** What the `approvalQueue` subscription carries: one approval that changed, and its organization. */
export interface ApprovalQueueMessage {
  readonly orgId: string;
  readonly approval: ApprovalType;
}

/** The pubsub topic of one organization's approval queue. */
export function approvalQueueTopic(orgId: string): string {
  return `approvals:${orgId}`;
}

/** The message a node receives for a decided approval; null while undecided. */
export function decisionMessageOf(approval: ApprovalRequest): ApprovalDecisionMessage | null {
  if (approval.decision === null) return null;
  return {
    approvalId: approval.id,
    decision: approval.decision,
    reason: approval.decisionReason,
    decidedBy: approval.decision === 'expired' ? null : approval.decidedBy,
  };
}

/**
 * After a committed change to an approval: publishes it here and on every other control plane
 * of the database (`publishApprovalChange`), and wakes the webhook worker for any notification
 * queued with it. Never throws: the change is committed, and nodes get missed decisions again
 * when they resubscribe.
 */
export async function afterApprovalChange(services: Services, approval: ApprovalRequest): Promise<void> {
  const orgId = approval.organization.id;
  await publishApprovalChange(services, orgId, approval.id);
  wakeDeliveries(services);
  await services.clusterBus.announce({ kind: 'approval', orgId, id: approval.id });
}

/**
 * Publishes an approval as stored to what this process holds: its decision to the open streams
 * of the node holding the request (until the node reports what it did), the organization's live
 * queue, and, while it is pending, the expiry sweeper, so whichever control plane is left
 * expires it on time. Never throws.
 */
export async function publishApprovalChange(services: Services, orgId: string, id: string): Promise<void> {
  try {
    const em = forkForOrg(services, orgId);
    const approval = await em.findOneOrFail(ApprovalRequest, { id }, { populate: ['key'] });
    const message = approval.outcome === null ? decisionMessageOf(approval) : null;
    if (message) services.decisionHub.publish(approval.nodeTokenId, approval.nodeId, message);
    if (approval.status === 'pending') services.expirySweeper.noteExpiry(approval.expiresAt);
    const [view] = await toApprovalTypes(em, [approval]);
    services.pubSub.publish(approvalQueueTopic(orgId), { orgId, approval: view } satisfies ApprovalQueueMessage);
  } catch (error) {
    services.log.error({ err: error, approvalId: id }, 'could not publish an approval change');
  }
}
