import type { EntityManager } from '@mikro-orm/postgresql';
import type { BudgetPeriod } from '@keyward/shared';
import { auditActor } from '../audit/audit.service.js';
import { Budget } from '../budgets/budget.entity.js';
import { RateLimit } from '../budgets/rate-limit.entity.js';
import { formatUsd, parseUsd } from '../budgets/money.js';
import { periodDays } from '../budgets/periods.js';
import { sumSpend } from '../budgets/spend.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { Credential } from '../credentials/credential.entity.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Key } from '../keys/key.entity.js';
import { revokeKeyIn } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { Route, RouteBinding } from '../routing/route.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import { KeyPool, PoolRecipient } from './pool.entity.js';
import type { CreatePoolInput, RecipientLimitsInput, UpdatePoolInput } from './pool.input.js';
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
    if (input.routeId) await checkRoute(tx, input.routeId, credentialIds);
    const pool = tx.create(KeyPool, {
      organization: orgId,
      routeId: input.routeId ?? null,
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

/**
 * Changes a pool: name, note, credentials or route, default limits (optionally given to every
 * recipient whose key is not revoked), the pool-wide cap and the pool's expiry, in one config change.
 */
export async function updatePool(ctx: GraphQLContext, id: string, input: UpdatePoolInput): Promise<PoolType> {
  const { orgId } = orgCallerOf(ctx);
  const limits = parseLimits(input.limits, 'limits');
  const capMicros = input.cap != null ? parseUsd(input.cap, 'cap') : null;
  const pool = await applyConfigChange(ctx.services, ctx.em, orgId, 'pool updated', async (tx) => {
    const pool = await findPool(tx, id);
    if (input.name != null) pool.name = input.name.trim();
    if (input.note !== undefined) pool.note = input.note?.trim() || null;
    if (input.credentialIds != null) {
      const credentialIds = [...new Set(input.credentialIds)];
      if (credentialIds.length > 0 && (await tx.count(Credential, { id: { $in: credentialIds } })) !== credentialIds.length) {
        throw new AppError('NOT_FOUND', 'One of credentialIds is not a credential of this organization.');
      }
      pool.credentialIds = credentialIds;
    }
    if (input.routeId !== undefined && input.routeId !== pool.routeId) {
      if (input.routeId) await checkRoute(tx, input.routeId, pool.credentialIds);
      await rebindPoolKeys(tx, orgId, pool, input.routeId, auditActor(ctx));
    } else if (pool.routeId && pool.credentialIds.length > 0) {
      throw new AppError('BAD_USER_INPUT', 'A pool takes a route or credentials, not both: give routeId null to name credentials.');
    }
    if ('budgetMicros' in limits) pool.budgetMicros = limits.budgetMicros ?? null;
    if ('requestsPerMinute' in limits) pool.requestsPerMinute = limits.requestsPerMinute ?? null;
    if ('tokensPerMinute' in limits) pool.tokensPerMinute = limits.tokensPerMinute ?? null;
    if ('concurrentRequests' in limits) pool.concurrentRequests = limits.concurrentRequests ?? null;
    if (limits.expiresAt) pool.keyExpiresAt = limits.expiresAt;
    if (input.applyLimitsToRecipients) await applyDefaultsToRecipients(tx, orgId, pool);
    if (input.cap !== undefined) await setCap(tx, orgId, pool, capMicros, input.capPeriod ?? null);
    else if (input.capPeriod && pool.capBudgetId) (await tx.findOneOrFail(Budget, { id: pool.capBudgetId })).period = input.capPeriod;
    if (input.expiresAt !== undefined) pool.expiresAt = input.expiresAt;
    return pool;
  });
  ctx.services.poolExpiry.wake();
  const [view] = await toPoolTypes(ctx.em, orgId, [pool]);
  return view;
}

/**
 * Deletes a pool: every key it gave is revoked (kept, so its usage stays readable), and the pool,
 * its recipients, their budgets, rate limits and route bindings, and the cap are removed.
 */
export async function deletePool(ctx: GraphQLContext, id: string): Promise<string> {
  const { orgId } = orgCallerOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'pool deleted', async (tx) => {
    const pool = await findPool(tx, id);
    const recipients = await recipientsOf(tx, pool.id);
    const now = new Date();
    for (const recipient of recipients) await revokeKeyIn(tx, recipient.key.getEntity(), now);
    const keyIds = recipients.map((r) => r.key.id);
    const budgetIds = [...recipients.flatMap((r) => (r.budgetId ? [r.budgetId] : [])), ...(pool.capBudgetId ? [pool.capBudgetId] : [])];
    const rateIds = recipients.flatMap((r) => (r.rateLimitId ? [r.rateLimitId] : []));
    if (budgetIds.length > 0) await tx.nativeDelete(Budget, { id: { $in: budgetIds } });
    if (rateIds.length > 0) await tx.nativeDelete(RateLimit, { id: { $in: rateIds } });
    if (pool.routeId && keyIds.length > 0) await tx.nativeDelete(RouteBinding, { route: pool.routeId, scopeKind: 'key', scopeId: { $in: keyIds } });
    await tx.nativeDelete(PoolRecipient, { pool: pool.id });
    tx.remove(pool);
    return pool.id;
  });
}

/** Binds a key of `pool` to its route, when it has one (a recipient just added). */
export function bindToPoolRoute(tx: EntityManager, orgId: string, pool: KeyPool, key: Key, actor: string): void {
  if (!pool.routeId) return;
  tx.create(RouteBinding, { organization: orgId, route: pool.routeId, scopeKind: 'key', scopeId: key.id, key, boundBy: actor });
}

/** Moves every key of the pool from its old route (if any) to `routeId` (or to none). */
async function rebindPoolKeys(tx: EntityManager, orgId: string, pool: KeyPool, routeId: string | null, actor: string): Promise<void> {
  const recipients = await recipientsOf(tx, pool.id);
  const keyIds = recipients.map((r) => r.key.id);
  if (pool.routeId && keyIds.length > 0) await tx.nativeDelete(RouteBinding, { route: pool.routeId, scopeKind: 'key', scopeId: { $in: keyIds } });
  pool.routeId = routeId;
  for (const recipient of recipients) bindToPoolRoute(tx, orgId, pool, recipient.key.getEntity(), actor);
}

/** A route of the organization, and no credentials beside it. */
async function checkRoute(tx: EntityManager, routeId: string, credentialIds: readonly string[]): Promise<void> {
  if (credentialIds.length > 0) throw new AppError('BAD_USER_INPUT', 'A pool takes a route or credentials, not both: leave credentialIds empty.');
  if ((await tx.count(Route, { id: routeId })) === 0) throw new AppError('NOT_FOUND', `No route with id ${routeId} in this organization.`);
}

/** Sets, changes or (null) removes the pool-wide cap. */
async function setCap(tx: EntityManager, orgId: string, pool: KeyPool, capMicros: number | null, period: BudgetPeriod | null): Promise<void> {
  const cap = pool.capBudgetId ? await tx.findOne(Budget, { id: pool.capBudgetId }) : null;
  if (capMicros === null) {
    if (cap) tx.remove(cap);
    pool.capBudgetId = null;
    return;
  }
  if (cap) {
    cap.limitMicros = capMicros;
    if (period) cap.period = period;
    return;
  }
  const created = tx.create(Budget, {
    organization: orgId,
    name: `pool ${pool.name}`.slice(0, 120),
    scopeKind: 'pool',
    scopeId: pool.id,
    period: period ?? 'month',
    limitMicros: capMicros,
  });
  pool.capBudgetId = created.id;
}

/** Gives every recipient whose key is not revoked the pool's budget and rate limits, creating or removing their rows as needed. */
async function applyDefaultsToRecipients(tx: EntityManager, orgId: string, pool: KeyPool): Promise<void> {
  const recipients = (await recipientsOf(tx, pool.id)).filter((r) => r.key.getEntity().status !== 'revoked');
  for (const recipient of recipients) {
    const budget = recipient.budgetId ? await tx.findOne(Budget, { id: recipient.budgetId }) : null;
    if (pool.budgetMicros === null) {
      if (budget) tx.remove(budget);
      recipient.budgetId = null;
    } else if (budget) {
      budget.limitMicros = Number(pool.budgetMicros);
      budget.period = pool.budgetPeriod;
    } else {
      recipient.budgetId = tx.create(Budget, {
        organization: orgId,
        name: `${recipient.email} in pool ${pool.name}`.slice(0, 120),
        scopeKind: 'key',
        scopeId: recipient.key.id,
        period: pool.budgetPeriod,
        limitMicros: Number(pool.budgetMicros),
      }).id;
    }
    const rates = { requestsPerMinute: pool.requestsPerMinute, tokensPerMinute: pool.tokensPerMinute, concurrentRequests: pool.concurrentRequests };
    const rateLimit = recipient.rateLimitId ? await tx.findOne(RateLimit, { id: recipient.rateLimitId }) : null;
    if (Object.values(rates).every((v) => v === null)) {
      if (rateLimit) tx.remove(rateLimit);
      recipient.rateLimitId = null;
    } else if (rateLimit) {
      Object.assign(rateLimit, rates);
    } else {
      recipient.rateLimitId = tx.create(RateLimit, {
        organization: orgId,
        name: `${recipient.email} in pool ${pool.name}`.slice(0, 120),
        scopeKind: 'key',
        scopeId: recipient.key.id,
        ...rates,
      }).id;
    }
  }
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
      routeId: pool.routeId,
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
