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
 * After a committed change to an approval: sends its decision to the node holding the request
 * (when there is one it has not acted on), shows the change in the organization's live queue,
 * and wakes the webhook worker for any notification queued with it. Never throws: the change
 * is committed, and nodes get missed decisions again when they resubscribe.
 */
export async function afterApprovalChange(services: Services, approval: ApprovalRequest): Promise<void> {
  try {
    const message = approval.outcome === null ? decisionMessageOf(approval) : null;
    if (message) services.decisionHub.publish(approval.nodeTokenId, approval.nodeId, message);
    const orgId = approval.organization.id;
    const em = forkForOrg(services, orgId);
    const [view] = await toApprovalTypes(em, [await em.findOneOrFail(ApprovalRequest, { id: approval.id }, { populate: ['key'] })]);
    services.pubSub.publish(approvalQueueTopic(orgId), { orgId, approval: view } satisfies ApprovalQueueMessage);
    wakeDeliveries(services);
  } catch (error) {
    services.log.error({ err: error, approvalId: approval.id }, 'could not publish an approval change');
  }
}
