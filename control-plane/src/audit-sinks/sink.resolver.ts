import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { CreateAuditSinkInput, UpdateAuditSinkInput } from './sink.input.js';
import * as sinks from './sink.service.js';
import { AuditSinkTestResult, AuditSinkType, CreatedAuditSink } from './sink.type.js';

/** Exporting the audit trail to SIEMs: sinks, their lag and errors, and refused batches. */
@Resolver(() => AuditSinkType)
export class AuditSinkResolver {
  @Authorized('auditSinks:manage')
  @Query(() => [AuditSinkType], { description: "The organization's audit sinks with their lag, errors and dead letters." })
  auditSinks(@Ctx() ctx: GraphQLContext): Promise<AuditSinkType[]> {
    return sinks.listSinks(ctx);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => CreatedAuditSink, { description: 'Creates an audit sink. For HTTPS the answer holds its signing secret, shown this once.' })
  createAuditSink(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateAuditSinkInput) input: CreateAuditSinkInput): Promise<CreatedAuditSink> {
    return sinks.createSink(ctx, input);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => AuditSinkType, { description: 'Changes an audit sink; secrets left out are kept.' })
  updateAuditSink(@Ctx() ctx: GraphQLContext, @Arg('input', () => UpdateAuditSinkInput) input: UpdateAuditSinkInput): Promise<AuditSinkType> {
    return sinks.updateSink(ctx, input);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => ID, { description: 'Deletes an audit sink with its cursors and dead letters; returns its id.' })
  deleteAuditSink(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return sinks.deleteSink(ctx, id);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => AuditSinkType, { description: 'Stops sending; the cursors keep their place.' })
  pauseAuditSink(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AuditSinkType> {
    return sinks.setSinkPaused(ctx, id, true);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => AuditSinkType, { description: 'Sends again from the cursors, at once.' })
  resumeAuditSink(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AuditSinkType> {
    return sinks.setSinkPaused(ctx, id, false);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => AuditSinkTestResult, { description: 'Sends one test event through the sink now.' })
  sendAuditSinkTestEvent(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AuditSinkTestResult> {
    return sinks.sendTestEvent(ctx, id);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => AuditSinkTestResult, { description: 'Sends a dead-lettered batch again; it leaves the list once delivered.' })
  retryAuditSinkDeadLetter(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AuditSinkTestResult> {
    return sinks.retryDeadLetter(ctx, id);
  }

  @Authorized('auditSinks:manage')
  @Mutation(() => ID, { description: 'Discards a dead-lettered batch; returns its id.' })
  discardAuditSinkDeadLetter(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return sinks.discardDeadLetter(ctx, id);
  }
}
