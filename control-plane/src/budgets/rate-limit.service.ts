import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { assertUuid } from '../keys/validators.js';
import { orgCallerOf } from '../sessions/caller.js';
import type { CreateRateLimitInput, UpdateRateLimitInput } from './budget.input.js';
import type { RateLimitType } from './budget.type.js';
import { RateLimit } from './rate-limit.entity.js';
import { liveScopes, resolveScope } from './scope.js';

/** The organization's rate limits, oldest first. */
export async function listRateLimits(ctx: GraphQLContext): Promise<RateLimitType[]> {
  const { orgId } = orgCallerOf(ctx);
  const limits = await ctx.em.find(RateLimit, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return toRateLimitTypes(ctx.em, orgId, limits);
}

/** Creates a rate limit and publishes it to nodes in the same transaction. */
export async function createRateLimit(ctx: GraphQLContext, input: CreateRateLimitInput): Promise<RateLimitType> {
  const { orgId } = orgCallerOf(ctx);
  requireOneDimension(input.requestsPerMinute ?? null, input.tokensPerMinute ?? null, input.concurrentRequests ?? null);
  const limit = await applyConfigChange(ctx.services, ctx.em, orgId, 'rate limit created', async (tx) => {
    const scope = await resolveScope(tx, orgId, input.scopeKind, input.scopeId);
    return tx.create(RateLimit, {
      organization: orgId,
      name: input.name.trim(),
      scopeKind: scope.kind,
      scopeId: scope.id,
      requestsPerMinute: input.requestsPerMinute ?? null,
      tokensPerMinute: input.tokensPerMinute ?? null,
      concurrentRequests: input.concurrentRequests ?? null,
    });
  });
  const [created] = await toRateLimitTypes(ctx.em, orgId, [limit]);
  return created;
}

/** Changes a rate limit; an explicit null removes a dimension, but one must remain. */
export async function updateRateLimit(ctx: GraphQLContext, id: string, input: UpdateRateLimitInput): Promise<RateLimitType> {
  const { orgId } = orgCallerOf(ctx);
  const limit = await applyConfigChange(ctx.services, ctx.em, orgId, 'rate limit updated', async (tx) => {
    const limit = await findRateLimit(tx, id);
    if (input.name != null) limit.name = input.name.trim();
    if (input.requestsPerMinute !== undefined) limit.requestsPerMinute = input.requestsPerMinute;
    if (input.tokensPerMinute !== undefined) limit.tokensPerMinute = input.tokensPerMinute;
    if (input.concurrentRequests !== undefined) limit.concurrentRequests = input.concurrentRequests;
    requireOneDimension(limit.requestsPerMinute, limit.tokensPerMinute, limit.concurrentRequests);
    return limit;
  });
  const [updated] = await toRateLimitTypes(ctx.em, orgId, [limit]);
  return updated;
}

/** Deletes a rate limit. Returns its id. */
export async function deleteRateLimit(ctx: GraphQLContext, id: string): Promise<string> {
  const { orgId } = orgCallerOf(ctx);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'rate limit deleted', async (tx) => {
    tx.remove(await findRateLimit(tx, id));
  });
  return id;
}

function requireOneDimension(rpm: number | null, tpm: number | null, concurrent: number | null): void {
  if (rpm === null && tpm === null && concurrent === null) {
    throw new AppError('BAD_USER_INPUT', 'Set at least one of requestsPerMinute, tokensPerMinute or concurrentRequests.');
  }
}

async function findRateLimit(em: EntityManager, id: string): Promise<RateLimit> {
  assertUuid(id, 'a rate limit id');
  const limit = await em.findOne(RateLimit, { id });
  if (!limit) throw new AppError('NOT_FOUND', `No rate limit with id ${id} in this organization.`);
  return limit;
}

async function toRateLimitTypes(em: EntityManager, orgId: string, limits: readonly RateLimit[]): Promise<RateLimitType[]> {
  const live = await liveScopes(
    em,
    orgId,
    limits.map((l) => ({ kind: l.scopeKind, id: l.scopeId })),
  );
  return limits.map((l) => ({
    id: l.id,
    name: l.name,
    scope: { kind: l.scopeKind, id: l.scopeId },
    requestsPerMinute: l.requestsPerMinute,
    tokensPerMinute: l.tokensPerMinute,
    concurrentRequests: l.concurrentRequests,
    enforced: live.has(`${l.scopeKind}:${l.scopeId}`),
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
  }));
}
