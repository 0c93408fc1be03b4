import { filter as filterStream, pipe } from '@graphql-yoga/subscription';
import type { FilterQuery } from '@mikro-orm/core';
import { actorOf } from '../auth/viewer.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { afterCursor, decodeCursor, encodeCursor, pageSize } from '../keys/paging.js';
import { assertUuid } from '../keys/validators.js';
import { ApprovalRequest, type ApprovalStatus } from './approval.entity.js';
import { checkedReason, settleApproval } from './approval-decide.js';
import { approvalQueueTopic, type ApprovalQueueMessage } from './approval-publish.js';
import type { ApprovalConnection, ApprovalType } from './approval.type.js';
import { toApprovalTypes } from './approval-view.js';

/** A page of the organization's approvals, newest first, optionally of some statuses only. */
export async function listApprovals(
  ctx: GraphQLContext,
  statuses: readonly ApprovalStatus[] | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ApprovalConnection> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after);
  const conditions: FilterQuery<ApprovalRequest>[] = [];
  if (statuses && statuses.length > 0) conditions.push({ status: { $in: [...statuses] } });
  const where: FilterQuery<ApprovalRequest> = conditions.length ? { $and: conditions } : {};
  const paged: FilterQuery<ApprovalRequest> = cursor ? { $and: [...conditions, afterCursor('createdAt', cursor) as FilterQuery<ApprovalRequest>] } : where;
  const [rows, totalCount] = await Promise.all([
    ctx.em.find(ApprovalRequest, paged, { populate: ['key'], orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: limit + 1 }),
    ctx.em.count(ApprovalRequest, where),
  ]);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    nodes: await toApprovalTypes(ctx.em, page),
    pageInfo: { endCursor: last ? encodeCursor(last.createdAt, last.id) : null, hasNextPage: rows.length > limit },
    totalCount,
  };
}

/** One approval of the organization. */
export async function getApproval(ctx: GraphQLContext, id: string): Promise<ApprovalType> {
  assertUuid(id, 'an approval id');
  const row = await ctx.em.findOne(ApprovalRequest, { id }, { populate: ['key'] });
  if (!row) throw new AppError('NOT_FOUND', `No approval with id ${id} in this organization.`);
  const [view] = await toApprovalTypes(ctx.em, [row]);
  return view!;
}

/** Approves or rejects a pending request as the caller; the node holding it hears at once. */
export async function decideAsCaller(
  ctx: GraphQLContext,
  id: string,
  decision: 'approved' | 'rejected',
  reason: string | null | undefined,
): Promise<ApprovalType> {
  const orgId = orgOf(ctx);
  await settleApproval(ctx.services, orgId, id, { decision, actor: actorOf(ctx.viewer!), reason: checkedReason(reason) });
  return getApproval(ctx, id);
}

/** Live changes to the organization's approvals (new, decided, expired, acted on), for the console's queue. */
export function subscribeApprovalQueue(ctx: GraphQLContext) {
  const orgId = orgOf(ctx);
  const source = ctx.services.pubSub.subscribe(approvalQueueTopic(orgId)) as AsyncIterable<ApprovalQueueMessage>;
  return pipe(
    source,
    filterStream((message: ApprovalQueueMessage) => message.orgId === orgId),
  );
}
