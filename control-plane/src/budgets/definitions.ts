import type { BudgetConfig, BudgetPeriod, LimitScopeRef, RateLimitConfig } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../organizations/organization.entity.js';
import { dayText, periodDays, type PeriodDays } from './periods.js';
import { sumSpend } from './spend.js';

/** A budget nodes enforce: one of the organization's, or its prepaid credit balance. */
export interface EnforcedBudget {
  readonly config: BudgetConfig;
  /** `credits`: the balance of prepaid credits, published as a lifetime organization budget. */
  readonly kind: 'budget' | 'credits';
  /** For credits: the first local day whose usage draws on them. */
  readonly fromDay: string | null;
}

/** A budget's current period and what was spent in it, from the rollups. */
export interface BudgetPeriodSpend {
  readonly budget: EnforcedBudget;
  readonly period: PeriodDays;
  /** Key under which the alert for a threshold is sent once (credits re-arm when topped up). */
  readonly alertPeriodKey: string;
  readonly spentMicros: number;
}

interface BudgetRow {
  id: string;
  name: string;
  organization_id: string;
  scope_kind: LimitScopeRef['kind'];
  scope_id: string;
  period: BudgetPeriod;
  limit_micros: string;
  action: 'block' | 'hold';
  alert_thresholds: number[];
}

interface CreditRow {
  organization_id: string;
  credit_budget_id: string;
  credits_start_day: string | Date | null;
  balance: string;
}

interface RateLimitRow {
  id: string;
  organization_id: string;
  scope_kind: LimitScopeRef['kind'];
  scope_id: string;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  concurrent_requests: number | null;
}

/** Alert thresholds of the credit budget: when most of the balance is used, and when it is gone. */
const CREDIT_ALERT_THRESHOLDS: readonly number[] = [80, 100];

/** How nodes name the prepaid credit balance in refusals. */
const CREDIT_BUDGET_NAME = 'prepaid credits';

/** Budgets and rate limits whose scope no longer resolves (a deleted team, a revoked key, a deleted pool) are left out. */
const SCOPE_RESOLVES = (table: string) => `(
  (${table}.scope_kind = 'org' and ${table}.scope_id = ${table}.organization_id)
  or (${table}.scope_kind = 'team' and exists (select 1 from teams t where t.id = ${table}.scope_id and t.organization_id = ${table}.organization_id))
  or (${table}.scope_kind = 'key' and exists (select 1 from keys k where k.id = ${table}.scope_id and k.organization_id = ${table}.organization_id and k.status = 'active'))
  or (${table}.scope_kind = 'pool' and exists (select 1 from key_pools p where p.id = ${table}.scope_id and p.organization_id = ${table}.organization_id)))`;

function orgFilter(column: string, orgIds: readonly string[] | null): { sql: string; bindings: unknown[] } {
  if (orgIds === null) return { sql: 'true', bindings: [] };
  return { sql: `${column} in (select jsonb_array_elements_text(?::jsonb)::uuid)`, bindings: [JSON.stringify(orgIds)] };
}

/**
 * The budgets nodes enforce for these organizations (null: all), in id order: the organizations'
 * budgets whose scope resolves, plus each organization's credit balance when it enabled credits
 * (limit: the ledger's sum, never below zero).
 */
export async function loadEnforcedBudgets(em: EntityManager, orgIds: readonly string[] | null): Promise<EnforcedBudget[]> {
  const budgetsFilter = orgFilter('b.organization_id', orgIds);
  const rows = await sqlRows<BudgetRow>(
    em,
    `select b.id, b.name, b.organization_id, b.scope_kind, b.scope_id, b.period, b.limit_micros, b.action, b.alert_thresholds
       from budgets b where ${budgetsFilter.sql} and ${SCOPE_RESOLVES('b')} order by b.id`,
    budgetsFilter.bindings,
  );
  const creditFilter = orgFilter('a.organization_id', orgIds);
  const credits = await sqlRows<CreditRow>(
    em,
    `select a.organization_id, a.credit_budget_id, a.credits_start_day,
            coalesce((select sum(l.amount_micros) from credit_ledger l where l.organization_id = a.organization_id), 0) as balance
       from billing_accounts a where ${creditFilter.sql} and a.credits_enabled order by a.credit_budget_id`,
    creditFilter.bindings,
  );
  const budgets: EnforcedBudget[] = rows.map((row) => ({
    kind: 'budget',
    fromDay: null,
    config: {
      id: row.id,
      orgId: row.organization_id,
      scope: { kind: row.scope_kind, id: row.scope_id },
      period: row.period,
      limitMicros: Number(row.limit_micros),
      action: row.action,
      alertThresholds: row.alert_thresholds ?? [],
      name: row.name,
    },
  }));
  for (const row of credits) {
    budgets.push({
      kind: 'credits',
      fromDay: row.credits_start_day === null ? null : dayText(row.credits_start_day),
      config: {
        id: row.credit_budget_id,
        orgId: row.organization_id,
        scope: { kind: 'org', id: row.organization_id },
        period: 'lifetime',
        limitMicros: Math.max(0, Number(row.balance)),
        action: 'block',
        alertThresholds: [...CREDIT_ALERT_THRESHOLDS],
        name: CREDIT_BUDGET_NAME,
      },
    });
  }
  return budgets;
}

/** The rate limits nodes enforce for these organizations (null: all), in id order. */
export async function loadEnforcedRateLimits(em: EntityManager, orgIds: readonly string[] | null): Promise<RateLimitConfig[]> {
  const filter = orgFilter('r.organization_id', orgIds);
  const rows = await sqlRows<RateLimitRow>(
    em,
    `select r.id, r.organization_id, r.scope_kind, r.scope_id, r.requests_per_minute, r.tokens_per_minute, r.concurrent_requests
       from rate_limits r where ${filter.sql} and ${SCOPE_RESOLVES('r')} order by r.id`,
    filter.bindings,
  );
  return rows.map((row) => ({
    id: row.id,
    orgId: row.organization_id,
    scope: { kind: row.scope_kind, id: row.scope_id },
    ...(row.requests_per_minute !== null ? { requestsPerMinute: row.requests_per_minute } : {}),
    ...(row.tokens_per_minute !== null ? { tokensPerMinute: row.tokens_per_minute } : {}),
    ...(row.concurrent_requests !== null ? { concurrentRequests: row.concurrent_requests } : {}),
  }));
}

/** Each organization's IANA time zone. */
async function orgTimeZones(em: EntityManager, orgIds: readonly string[]): Promise<Map<string, string>> {
  const zones = new Map<string, string>();
  if (orgIds.length === 0) return zones;
  const rows = await sqlRows<{ id: string; tz: string | null }>(
    em,
    `select id, settings ->> 'timeZone' as tz from organizations where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
    [JSON.stringify([...new Set(orgIds)])],
  );
  for (const row of rows) zones.set(row.id, row.tz ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone);
  return zones;
}

/** The current period of each budget at `now` and its spend so far, summed from the rollups. */
export async function currentSpend(em: EntityManager, budgets: readonly EnforcedBudget[], now: Date): Promise<BudgetPeriodSpend[]> {
  const zones = await orgTimeZones(
    em,
    budgets.map((b) => b.config.orgId),
  );
  const periods = budgets.map((budget) => {
    const zone = zones.get(budget.config.orgId) ?? DEFAULT_ORGANIZATION_SETTINGS.timeZone;
    const days = periodDays(budget.config.period, now, zone);
    return budget.kind === 'credits' && budget.fromDay !== null ? { ...days, fromDay: budget.fromDay } : days;
  });
  const spent = await sumSpend(
    em,
    budgets.map((budget, i) => ({
      id: budget.config.id,
      orgId: budget.config.orgId,
      scope: budget.config.scope,
      fromDay: periods[i].fromDay,
      toDay: periods[i].toDay,
    })),
  );
  return budgets.map((budget, i) => ({
    budget,
    period: periods[i],
    alertPeriodKey: budget.kind === 'credits' ? `credits@${budget.config.limitMicros}` : periods[i].key,
    spentMicros: spent.get(budget.config.id) ?? 0,
  }));
}
