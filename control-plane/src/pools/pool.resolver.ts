import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver, registerEnumType } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { AddRecipientInput, CreatePoolInput, UpdatePoolInput } from './pool.input.js';
import * as pools from './pool.service.js';
import { CsvPreview, PoolType, RecipientType, RevealedPoolKey } from './pool.type.js';
import * as recipients from './recipient.service.js';
import { revealPoolKey } from './reveal.service.js';

const RecipientActionEnum = { EXTEND: 'extend', PAUSE: 'pause', RESUME: 'resume', REVOKE: 'revoke' } as const;
registerEnumType(RecipientActionEnum, {
  name: 'RecipientAction',
  description: 'EXTEND: a new expiry (expiresAt); PAUSE and RESUME the keys; REVOKE them for good.',
});

/** Key pools: limited, expiring keys handed to people by email, and the links that reveal them. */
@Resolver(() => PoolType)
export class PoolResolver {
  @Authorized('keys:read')
  @Query(() => [PoolType], { description: 'Key pools of the organization, newest first.' })
  pools(@Ctx() ctx: GraphQLContext): Promise<PoolType[]> {
    return pools.listPools(ctx);
  }

  @Authorized('keys:read')
  @Query(() => PoolType, { description: 'One key pool of the organization.' })
  pool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PoolType> {
    return pools.getPool(ctx, id);
  }

  @Authorized('keys:read')
  @Query(() => [RecipientType], { description: "A pool's recipients with limits, spend this period, last use and status, oldest first." })
  poolRecipients(@Ctx() ctx: GraphQLContext, @Arg('poolId', () => ID) poolId: string): Promise<RecipientType[]> {
    return recipients.listRecipients(ctx, poolId);
  }

  @Authorized('keys:read')
  @Query(() => CsvPreview, { description: 'What importing a recipients CSV would add, and every line that stops it. Adds nobody.' })
  previewPoolRecipientsCsv(@Ctx() ctx: GraphQLContext, @Arg('poolId', () => ID) poolId: string, @Arg('csv', () => String) csv: string): Promise<CsvPreview> {
    return recipients.previewRecipientsCsv(ctx, poolId, csv);
  }

  @Authorized('keys:write')
  @Mutation(() => PoolType, { description: 'Creates a key pool.' })
  createPool(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreatePoolInput) input: CreatePoolInput): Promise<PoolType> {
    return pools.createPool(ctx, input);
  }

  @Authorized('keys:write')
  @Mutation(() => PoolType, {
    description: "Changes a pool's name, note, credentials or route, default limits (applyLimitsToRecipients: for every recipient too), cap or expiry.",
  })
  updatePool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdatePoolInput) input: UpdatePoolInput): Promise<PoolType> {
    return pools.updatePool(ctx, id, input);
  }

  @Authorized('keys:write')
  @Mutation(() => ID, {
    description: 'Deletes a pool: its keys are revoked (their usage stays), its recipients, their limits and the cap removed. Returns its id.',
  })
  deletePool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return pools.deletePool(ctx, id);
  }

  @Authorized('keys:write')
  @Mutation(() => PoolType, { description: 'Stops every key of the pool until it is resumed.' })
  pausePool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PoolType> {
    return pools.setPoolPaused(ctx, id, true);
  }

  @Authorized('keys:write')
  @Mutation(() => PoolType, { description: 'Lets the keys of a paused pool work again.' })
  resumePool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PoolType> {
    return pools.setPoolPaused(ctx, id, false);
  }

  @Authorized('keys:write')
  @Mutation(() => PoolType, { description: 'Makes every key of the pool stop working now; the pool stays listed as EXPIRED.' })
  expirePool(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PoolType> {
    return pools.expirePool(ctx, id);
  }

  @Authorized('keys:write')
  @Mutation(() => RecipientType, { description: 'Gives one person a key of the pool and emails them its single-use link.' })
  addPoolRecipient(
    @Ctx() ctx: GraphQLContext,
    @Arg('poolId', () => ID) poolId: string,
    @Arg('input', () => AddRecipientInput) input: AddRecipientInput,
  ): Promise<RecipientType> {
    return recipients.addRecipient(ctx, poolId, input);
  }

  @Authorized('keys:write')
  @Mutation(() => [RecipientType], {
    description:
      'Adds every recipient of a CSV (email, name, budget, requests_per_minute, tokens_per_minute, concurrent_requests, expires_at) and emails each a link. ' +
      'Any invalid line adds nobody; extensions.lines lists every one.',
  })
  importPoolRecipients(@Ctx() ctx: GraphQLContext, @Arg('poolId', () => ID) poolId: string, @Arg('csv', () => String) csv: string): Promise<RecipientType[]> {
    return recipients.importRecipients(ctx, poolId, csv);
  }

  @Authorized('keys:write')
  @Mutation(() => [RecipientType], { description: "Extends, pauses, resumes or revokes some recipients' keys at once." })
  updatePoolRecipients(
    @Ctx() ctx: GraphQLContext,
    @Arg('poolId', () => ID) poolId: string,
    @Arg('recipientIds', () => [ID]) recipientIds: string[],
    @Arg('action', () => RecipientActionEnum) action: recipients.RecipientAction,
    @Arg('expiresAt', () => Date, { nullable: true }) expiresAt?: Date | null,
  ): Promise<RecipientType[]> {
    return recipients.updateRecipients(ctx, poolId, recipientIds, action, expiresAt);
  }

  @Authorized('keys:write')
  @Mutation(() => RecipientType, {
    description: 'Emails a recipient a new single-use link; earlier links stop working, and opening it makes a new key secret.',
  })
  resendPoolKeyLink(@Ctx() ctx: GraphQLContext, @Arg('recipientId', () => ID) recipientId: string): Promise<RecipientType> {
    return recipients.resendLink(ctx, recipientId);
  }

  /** Public: the token is the authorization, limited per address. */
  @Mutation(() => RevealedPoolKey, { description: 'Opens a key delivery link: the key is shown this once. A used or expired link reveals nothing.' })
  revealPoolKey(@Ctx() ctx: GraphQLContext, @Arg('token', () => String) token: string): Promise<RevealedPoolKey> {
    return revealPoolKey(ctx, token);
  }
}
