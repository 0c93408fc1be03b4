import type { EntityManager } from '@mikro-orm/postgresql';
import { Budget } from '../budgets/budget.entity.js';
import { formatUsd, parseUsd } from '../budgets/money.js';
import { periodDays } from '../budgets/periods.js';
import { sumSpend } from '../budgets/spend.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { Credential } from '../credentials/credential.entity.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { assertUuid } from '../keys/validators.js';
import { orgCallerOf } from '../sessions/caller.js';
import { KeyPool, PoolRecipient } from './pool.entity.js';
import type { CreatePoolInput, RecipientLimitsInput } from './pool.input.js';
import { limitsView, orgTimeZone, poolStatusOf } from './pool-views.js';
import type { PoolType } from './pool.type.js';
import type { LimitOverrides } from './recipients-csv.js';

/** The organization's pools, newest first. */
export async function listPools(ctx: GraphQLContext): Promise<PoolType[]> {
  const { orgId } = orgCallerOf(ctx);
  const pools = await ctx.em.find(KeyPool, {}, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return toPoolTypes(ctx.em, orgId, pools);
}

/** One pool of the organization. */
export async function getPool(ctx: GraphQLContext, id: string): Promise<PoolType> {
  const { orgId } = orgCallerOf(ctx);
  const [pool] = await toPoolTypes(ctx.em, orgId, [await findPool(ctx.em, id)]);
  return pool;
}

/** Creates a pool, with its pool-wide cap as a budget scoped to the pool, and publishes it. */
export async function createPool(ctx: GraphQLContext, input: CreatePoolInput): Promise<PoolType> {
  const { orgId } = orgCallerOf(ctx);
  const limits = parseLimits(input.limits, 'limits');
  if (limits.expiresAt && input.keyLifetimeDays) {
    throw new AppError('BAD_USER_INPUT', 'Give the keys an expiry date (limits.expiresAt) or a lifetime in days (keyLifetimeDays), not both.');
  }
  const capMicros = input.cap != null ? parseUsd(input.cap, 'cap') : null;
  const pool = await applyConfigChange(ctx.services, ctx.em, orgId, 'pool created', async (tx) => {
    const credentialIds = [...new Set(input.credentialIds)];
    if (credentialIds.length > 0 && (await tx.count(Credential, { id: { $in: credentialIds } })) !== credentialIds.length) {
      throw new AppError('NOT_FOUND', 'One of credentialIds is not a credential of this organization.');
    }
    const pool = tx.create(KeyPool, {
      organization: orgId,
      name: input.name.trim(),
      note: input.note?.trim() || null,
      credentialIds,
      allowedModels: [...new Set(input.allowedModels)],
      labels: input.labels ?? {},
      budgetPeriod: input.budgetPeriod,
      budgetMicros: limits.budgetMicros ?? null,
      requestsPerMinute: limits.requestsPerMinute ?? null,
      tokensPerMinute: limits.tokensPerMinute ?? null,
      concurrentRequests: limits.concurrentRequests ?? null,
      keyExpiresAt: limits.expiresAt ?? null,
      keyLifetimeDays: input.keyLifetimeDays ?? null,
      expiresAt: input.expiresAt ?? null,
    });
    if (capMicros !== null) {
      const cap = tx.create(Budget, {
        organization: orgId,
        name: `pool ${pool.name}`.slice(0, 120),
        scopeKind: 'pool',
        scopeId: pool.id,
        period: input.capPeriod,
        limitMicros: capMicros,
      });
      pool.capBudgetId = cap.id;
    }
    return pool;
  });
  const [created] = await toPoolTypes(ctx.em, orgId, [pool]);
  return created;
}

/** Pauses or resumes every key of a pool; nodes hear it with the next config version. */
export async function setPoolPaused(ctx: GraphQLContext, id: string, paused: boolean): Promise<PoolType> {
  const { orgId } = orgCallerOf(ctx);
  const pool = await applyConfigChange(ctx.services, ctx.em, orgId, paused ? 'pool paused' : 'pool resumed', async (tx) => {
    const pool = await findPool(tx, id);
    if (pool.expiresAt && pool.expiresAt <= new Date()) throw new AppError('CONFLICT', `Pool "${pool.name}" has expired; there is nothing to pause or resume.`);
    pool.status = paused ? 'paused' : 'active';
    return pool;
  });
  const [view] = await toPoolTypes(ctx.em, orgId, [pool]);
  return view;
}

/** Makes every key of a pool stop working now (the pool stays listed, as expired). */
export async function expirePool(ctx: GraphQLContext, id: string): Promise<PoolType> {
  const { orgId } = orgCallerOf(ctx);
  const pool = await applyConfigChange(ctx.services, ctx.em, orgId, 'pool expired', async (tx) => {
    const pool = await findPool(tx, id);
    const now = new Date();
    if (!pool.expiresAt || pool.expiresAt > now) pool.expiresAt = now;
    return pool;
  });
  ctx.services.poolExpiry.wake();
  const [view] = await toPoolTypes(ctx.em, orgId, [pool]);
  return view;
}

/** A pool of the caller's organization (the tenant filter hides every other). */
export async function findPool(em: EntityManager, id: string): Promise<KeyPool> {
  assertUuid(id, 'a pool id');
  const pool = await em.findOne(KeyPool, { id });
  if (!pool) throw new AppError('NOT_FOUND', `No pool with id ${id} in this organization.`);
  return pool;
}

/** Limits as given (dollars parsed exactly); absent fields stay absent. */
export function parseLimits(input: RecipientLimitsInput | null | undefined, field: string): LimitOverrides {
  if (!input) return {};
  return {
    ...(input.budget != null ? { budgetMicros: parseUsd(input.budget, `${field}.budget`) } : {}),
    ...(input.requestsPerMinute != null ? { requestsPerMinute: input.requestsPerMinute } : {}),
    ...(input.tokensPerMinute != null ? { tokensPerMinute: input.tokensPerMinute } : {}),
    ...(input.concurrentRequests != null ? { concurrentRequests: input.concurrentRequests } : {}),
    ...(input.expiresAt != null ? { expiresAt: input.expiresAt } : {}),
  };
}

async function toPoolTypes(em: EntityManager, orgId: string, pools: readonly KeyPool[]): Promise<PoolType[]> {
  if (pools.length === 0) return [];
  const now = new Date();
  const timeZone = await orgTimeZone(em, orgId);
  const ids = pools.map((p) => p.id);
  const caps = new Map((await em.find(Budget, { id: { $in: pools.flatMap((p) => (p.capBudgetId ? [p.capBudgetId] : [])) } })).map((b) => [b.id, b]));
  const counts = await em.execute<{ pool_id: string; n: string }[]>(
    'select pool_id, count(*) as n from pool_recipients where pool_id in (select jsonb_array_elements_text(?::jsonb)::uuid) group by pool_id',
    [JSON.stringify(ids)],
  );
  const capPeriods = new Map([...caps.values()].map((b) => [b.id, periodDays(b.period, now, timeZone)]));
  const spent = await sumSpend(
    em,
    [...caps.values()].map((b) => ({ id: b.id, orgId, scope: { kind: 'pool', id: b.scopeId }, ...capPeriods.get(b.id)! })),
  );
  return pools.map((pool) => {
    const cap = pool.capBudgetId ? caps.get(pool.capBudgetId) : undefined;
    const capSpent = cap ? (spent.get(cap.id) ?? 0) : 0;
    return {
      id: pool.id,
      name: pool.name,
      note: pool.note,
      credentialIds: pool.credentialIds,
      allowedModels: pool.allowedModels,
      labels: pool.labels,
      limits: limitsView(pool.budgetPeriod, pool.budgetMicros, pool),
      keyExpiresAt: pool.keyExpiresAt,
      keyLifetimeDays: pool.keyLifetimeDays,
      cap: cap
        ? {
            budgetId: cap.id,
            limit: formatUsd(Number(cap.limitMicros)),
            limitMicros: Number(cap.limitMicros),
            period: cap.period,
            spent: formatUsd(capSpent),
            spentMicros: capSpent,
          }
        : null,
      status: poolStatusOf(pool, now),
      expiresAt: pool.expiresAt,
      recipientCount: Number(counts.find((c) => c.pool_id === pool.id)?.n ?? 0),
      createdAt: pool.createdAt,
    };
  });
}

/** Recipients of a pool, oldest first. */
export function recipientsOf(em: EntityManager, poolId: string): Promise<PoolRecipient[]> {
  return em.find(PoolRecipient, { pool: poolId }, { populate: ['key'], orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}
