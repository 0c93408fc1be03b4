import type { ApprovalDecisionMessage } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { NODE_ONLY } from '../auth/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { ApprovalFilter } from './approval.input.js';
import { openApprovalDecisionStream } from './approval-node.service.js';
import type { ApprovalQueueMessage } from './approval-publish.js';
import { decideAsCaller, getApproval, listApprovals, subscribeApprovalQueue } from './approval.service.js';
import { ApprovalConnection, ApprovalEventView, ApprovalType } from './approval.type.js';
import { toApprovalEventViews } from './approval-view.js';

/** Human approvals: the queue people decide from, and the decisions nodes wait for. */
@Resolver(() => ApprovalType)
export class ApprovalResolver {
  @Authorized('approvals:read')
  @Query(() => ApprovalConnection, { description: 'Requests held for approval, newest first.' })
  approvals(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => ApprovalFilter, { nullable: true }) filter?: ApprovalFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ApprovalConnection> {
    return listApprovals(ctx, filter?.status, first, after);
  }

  @Authorized('approvals:read')
  @Query(() => ApprovalType, { description: 'One held request, with its history.' })
  approval(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ApprovalType> {
    return getApproval(ctx, id);
  }

  @Authorized('approvals:read')
  @FieldResolver(() => [ApprovalEventView], { description: 'What happened to the request, oldest first.' })
  events(@Ctx() ctx: GraphQLContext, @Root() approval: ApprovalType): Promise<ApprovalEventView[]> {
    return toApprovalEventViews(ctx.em, approval.id);
  }

  @Authorized('approvals:decide')
  @Mutation(() => ApprovalType, { description: 'Approves a pending request; the node forwards it at once.' })
  approveRequest(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string | null,
  ): Promise<ApprovalType> {
    return decideAsCaller(ctx, id, 'approved', reason);
  }

  @Authorized('approvals:decide')
  @Mutation(() => ApprovalType, { description: 'Rejects a pending request; the agent gets the reason.' })
  rejectRequest(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string | null,
  ): Promise<ApprovalType> {
    return decideAsCaller(ctx, id, 'rejected', reason);
  }

  @Authorized('approvals:read')
  @Subscription(() => ApprovalType, {
    name: 'approvalQueue',
    description: "Every change to the organization's approvals as it happens: new requests, decisions, expiries, outcomes.",
    subscribe: ({ context }) => subscribeApprovalQueue(context as GraphQLContext),
  })
  approvalQueueStream(@Root() message: ApprovalQueueMessage): ApprovalType {
    return message.approval;
  }

  @Authorized(NODE_ONLY)
  @Subscription(() => GraphQLJSON, {
    description:
      'Nodes only: an ApprovalDecisionMessage for each decided or expired request the node holds, at once; on (re)subscribe, every decision it has not reported an outcome for.',
    subscribe: ({ args, context }) => openApprovalDecisionStream(context as GraphQLContext, args.nodeId),
  })
  approvalDecisions(@Root() message: ApprovalDecisionMessage, @Arg('nodeId', () => String) _nodeId: string): ApprovalDecisionMessage {
    return message;
  }
}
