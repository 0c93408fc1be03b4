import type { BudgetConfig, RateLimitConfig } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadEnforcedBudgets, loadEnforcedRateLimits } from '../budgets/definitions.js';

/** An organization's compiled `budgets` and `rateLimits` collections. */
export interface CompiledLimits {
  readonly budgets: Record<string, BudgetConfig>;
  readonly rateLimits: Record<string, RateLimitConfig>;
}

/**
 * Compiles one organization's budgets (its own, plus its prepaid credit balance as a lifetime
 * organization budget when credits are enabled) and rate limits into wire entries. Entries whose
 * scope no longer resolves (a deleted team, a revoked key) are left out rather than rejected, so
 * deleting a team never fails on the budgets that named it. Spend is not part of the config: it
 * changes with every request, and nodes read it with `nodeBudgetSpend` instead.
 */
export async function compileLimits(em: EntityManager, orgId: string): Promise<CompiledLimits> {
  const budgets = await loadEnforcedBudgets(em, [orgId]);
  const rateLimits = await loadEnforcedRateLimits(em, [orgId]);
  return {
    budgets: Object.fromEntries(budgets.map((b) => [b.config.id, b.config])),
    rateLimits: Object.fromEntries(rateLimits.map((r) => [r.id, r])),
  };
}
