import type { EntityManager } from '@mikro-orm/postgresql';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { assertUuid } from '../keys/validators.js';
import { DEFAULT_ORGANIZATION_SETTINGS, Organization } from '../organizations/organization.entity.js';
import { orgCallerOf } from '../sessions/caller.js';
import { Budget, DEFAULT_ALERT_THRESHOLDS } from './budget.entity.js';
import type { CreateBudgetInput, UpdateBudgetInput } from './budget.input.js';
import type { BudgetType } from './budget.type.js';
import { formatUsd, parseUsd } from './money.js';
import { periodDays } from './periods.js';
import { liveScopes, resolveScope } from './scope.js';
import { sumSpend } from './spend.js';

/** The organization's budgets, oldest first, each with its current period's spend. */
export async function listBudgets(ctx: GraphQLContext): Promise<BudgetType[]> {
  const { orgId } = orgCallerOf(ctx);
  const budgets = await ctx.em.find(Budget, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return toBudgetTypes(ctx.em, orgId, budgets);
}

/** One budget of the organization. */
export async function getBudget(ctx: GraphQLContext, id: string): Promise<BudgetType> {
  const { orgId } = orgCallerOf(ctx);
  const [budget] = await toBudgetTypes(ctx.em, orgId, [await findBudget(ctx.em, id)]);
  return budget;
}

/** Creates a budget and publishes it to nodes in the same transaction. */
export async function createBudget(ctx: GraphQLContext, input: CreateBudgetInput): Promise<BudgetType> {
  const { orgId } = orgCallerOf(ctx);
  const limitMicros = parseUsd(input.limit, 'limit');
  const budget = await applyConfigChange(ctx.services, ctx.em, orgId, 'budget created', async (tx) => {
    if (input.action === 'hold') await requireOrgPlanFeature(ctx.services.config.edition, tx, orgId, 'approvals');
    const scope = await resolveScope(tx, orgId, input.scopeKind, input.scopeId);
    return tx.create(Budget, {
      organization: orgId,
      name: input.name.trim(),
      scopeKind: scope.kind,
      scopeId: scope.id,
      period: input.period,
      limitMicros,
      action: input.action,
      alertThresholds: thresholds(input.alertThresholds ?? DEFAULT_ALERT_THRESHOLDS),
    });
  });
  const [created] = await toBudgetTypes(ctx.em, orgId, [budget]);
  return created;
}

/** Changes a budget's name, period, limit, action or thresholds and republishes. */
export async function updateBudget(ctx: GraphQLContext, id: string, input: UpdateBudgetInput): Promise<BudgetType> {
  const { orgId } = orgCallerOf(ctx);
  const limitMicros = input.limit != null ? parseUsd(input.limit, 'limit') : null;
  const budget = await applyConfigChange(ctx.services, ctx.em, orgId, 'budget updated', async (tx) => {
    const budget = await findBudget(tx, id);
    if (input.action === 'hold' && budget.action !== 'hold') await requireOrgPlanFeature(ctx.services.config.edition, tx, orgId, 'approvals');
    if (input.name != null) budget.name = input.name.trim();
    if (input.period != null) budget.period = input.period;
    if (limitMicros !== null) budget.limitMicros = limitMicros;
    if (input.action != null) budget.action = input.action;
    if (input.alertThresholds != null) budget.alertThresholds = thresholds(input.alertThresholds);
    return budget;
  });
  const [updated] = await toBudgetTypes(ctx.em, orgId, [budget]);
  return updated;
}

/** Deletes a budget; nodes stop enforcing it with the next config version. Returns its id. */
export async function deleteBudget(ctx: GraphQLContext, id: string): Promise<string> {
  const { orgId } = orgCallerOf(ctx);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'budget deleted', async (tx) => {
    tx.remove(await findBudget(tx, id));
  });
  return id;
}

async function findBudget(em: EntityManager, id: string): Promise<Budget> {
  assertUuid(id, 'a budget id');
  const budget = await em.findOne(Budget, { id });
  if (!budget) throw new AppError('NOT_FOUND', `No budget with id ${id} in this organization.`);
  return budget;
}

/** Sorted, without repeats: the order alerts go out in. */
function thresholds(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

async function toBudgetTypes(em: EntityManager, orgId: string, budgets: readonly Budget[]): Promise<BudgetType[]> {
  const org = await em.findOneOrFail(Organization, { id: orgId });
  const timeZone = org.settings?.timeZone ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone;
  const now = new Date();
  const scopes = budgets.map((b) => ({ kind: b.scopeKind, id: b.scopeId }));
  const live = await liveScopes(em, orgId, scopes);
  const periods = budgets.map((b) => periodDays(b.period, now, timeZone));
  const spent = await sumSpend(
    em,
    budgets.map((b, i) => ({ id: b.id, orgId, scope: scopes[i], fromDay: periods[i].fromDay, toDay: periods[i].toDay })),
  );
  return budgets.map((b, i) => {
    const spentMicros = spent.get(b.id) ?? 0;
    const limitMicros = Number(b.limitMicros);
    return {
      id: b.id,
      name: b.name,
      scope: scopes[i],
      period: b.period,
      limit: formatUsd(limitMicros),
      limitMicros,
      action: b.action,
      alertThresholds: b.alertThresholds,
      enforced: live.has(`${b.scopeKind}:${b.scopeId}`),
      currentPeriod: periods[i].key,
      spent: formatUsd(spentMicros),
      spentMicros,
      percentUsed: limitMicros === 0 ? (spentMicros > 0 ? 100 : 0) : Math.round((spentMicros * 10_000) / limitMicros) / 100,
      createdAt: b.createdAt,
      updatedAt: b.updatedAt,
    };
  });
}
