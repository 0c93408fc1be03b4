import { stableJson, type BudgetConfig, type RateLimitConfig } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { currentSpend, loadEnforcedBudgets, loadEnforcedRateLimits } from '../budgets/definitions.js';

/** An organization's compiled `budgets` and `rateLimits` collections. */
export interface CompiledLimits {
  readonly budgets: Record<string, BudgetConfig>;
  readonly rateLimits: Record<string, RateLimitConfig>;
}

/**
 * Compiles one organization's budgets (its own, plus its prepaid credit balance as a lifetime
 * organization budget when credits are enabled) and rate limits into wire entries. Entries whose
 * scope no longer resolves (a deleted team, a revoked key) are left out rather than rejected, so
 * deleting a team never fails on the budgets that named it. Each budget carries its current
 * period's spend from the rollups (`spend`), so a node starts a budget it has not seen from what
 * was already spent instead of from zero; after that nodes follow spend with `nodeBudgetSpend`.
 */
export async function compileLimits(em: EntityManager, orgId: string, now: Date): Promise<CompiledLimits> {
  const budgets = await currentSpend(em, await loadEnforcedBudgets(em, [orgId]), now);
  const rateLimits = await loadEnforcedRateLimits(em, [orgId]);
  return {
    budgets: Object.fromEntries(
      budgets.map(({ budget, period, spentMicros }) => [budget.config.id, { ...budget.config, spend: { periodKey: period.key, spentMicros } }]),
    ),
    rateLimits: Object.fromEntries(rateLimits.map((r) => [r.id, r])),
  };
}

/**
 * Keeps the spend figure of the previous version on budgets whose definition did not change.
 * Nodes already count those, so a fresher figure would tell them nothing, and leaving it alone
 * keeps a publish that changes nothing else from spending a version on moved spend.
 */
export function keepPublishedSpend(previous: Readonly<Record<string, BudgetConfig>>, compiled: Record<string, BudgetConfig>): Record<string, BudgetConfig> {
  const kept: Record<string, BudgetConfig> = {};
  for (const [id, budget] of Object.entries(compiled)) {
    const before = previous[id];
    kept[id] = before && sameDefinition(before, budget) ? { ...budget, spend: before.spend ?? null } : budget;
  }
  return kept;
}

function sameDefinition(a: BudgetConfig, b: BudgetConfig): boolean {
  return stableJson({ ...a, spend: null }) === stableJson({ ...b, spend: null });
}
