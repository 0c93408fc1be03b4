import type { BudgetConfig, RateLimitConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import type { Logger } from '../observability/logger.js';
import { periodWindow, type Limiter } from './index.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** One organization's budgets and rate limits, as the config carries them, in id order so refusals name a stable one. */
export interface OrgLimits {
  readonly budgets: readonly BudgetConfig[];
  readonly rateLimits: readonly RateLimitConfig[];
}

/** The budgets and rate limits of each organization in the config being served. */
export interface OrgLimitBook {
  /**
   * The organization's budgets and rate limits, once the limiter counts the spend figures its
   * budgets arrived with: anything admitted against them (a model call, a tool call) is measured
   * against what was already spent, never against an unseeded zero.
   */
  of(orgId: string): Promise<OrgLimits>;
}

/** Options of `createOrgLimitBook`. */
export interface OrgLimitBookOptions {
  readonly limiter: Limiter;
  /** The config being served: budgets and rate limits are read from it per request. */
  readonly view: () => ConfigView | null;
  readonly logger: Logger;
  /** Epoch ms; the limiter's periods follow it. */
  readonly clock?: () => number;
}

interface IndexedLimits extends OrgLimits {
  readonly budgets: BudgetConfig[];
  readonly rateLimits: RateLimitConfig[];
  /** Applying the spend figures new budgets arrived with; null once done (or when there were none). */
  seeding: Promise<void> | null;
}

const NO_LIMITS: OrgLimits = Object.freeze({ budgets: [], rateLimits: [] });

/**
 * Indexes the served config's budgets and rate limits by organization (once per config change)
 * and seeds the limiter with the spend figures budgets arrive with (`BudgetConfig.spend`), so a
 * budget created below what its scope already spent refuses at once rather than after the next
 * re-sync. `seed` never lowers a counter, so a figure this node already counted is not counted
 * twice; figures of a period that has ended are skipped.
 */
export function createOrgLimitBook(options: OrgLimitBookOptions): OrgLimitBook {
  const clock = options.clock ?? fleetNow;
  // By the view's budgets collection, which stays the same object while budgets do not change.
  const indexes = new WeakMap<ConfigView['budgets'], { rateLimits: ConfigView['rateLimits']; index: Map<string, IndexedLimits> }>();
  // Spend figures already given to the limiter, per budget: each is applied once, not per snapshot.
  const seeded = new Map<string, string>();

  const seedSpend = (orgId: string, timeZone: string, limits: IndexedLimits): Promise<void> | null => {
    const now = clock();
    const pending: Promise<void>[] = [];
    for (const budget of limits.budgets) {
      const spend = budget.spend;
      if (!spend || spend.spentMicros === 0) continue;
      const mark = `${spend.periodKey}:${spend.spentMicros}`;
      if (seeded.get(budget.id) === mark || periodWindow(budget.period, now, timeZone).key !== spend.periodKey) continue;
      seeded.set(budget.id, mark);
      pending.push(
        options.limiter.seed(orgId, budget.id, spend.periodKey, spend.spentMicros).catch((err: unknown) => {
          seeded.delete(budget.id);
          options.logger.warn({ budgetId: budget.id, reason: (err as Error).message }, 'could not seed a budget with its spend; the next re-sync will');
        }),
      );
    }
    if (pending.length === 0) return null;
    return Promise.all(pending).then(() => {
      limits.seeding = null;
    });
  };

  return {
    async of(orgId) {
      const view = options.view();
      if (!view) return NO_LIMITS;
      let entry = indexes.get(view.budgets);
      if (entry?.rateLimits !== view.rateLimits) {
        const index = indexLimits(view);
        for (const [id, limits] of index) limits.seeding = seedSpend(id, view.org(id)?.timeZone ?? 'UTC', limits);
        entry = { rateLimits: view.rateLimits, index };
        indexes.set(view.budgets, entry);
      }
      const limits = entry.index.get(orgId);
      if (!limits) return NO_LIMITS;
      if (limits.seeding) await limits.seeding;
      return limits;
    },
  };
}

/** Budgets and rate limits grouped by organization, in id order. */
function indexLimits(snapshot: Pick<ConfigView, 'budgets' | 'rateLimits'>): Map<string, IndexedLimits> {
  const index = new Map<string, IndexedLimits>();
  const of = (orgId: string) => {
    let entry = index.get(orgId);
    if (!entry) {
      entry = { budgets: [], rateLimits: [], seeding: null };
      index.set(orgId, entry);
    }
    return entry;
  };
  for (const id of Object.keys(snapshot.budgets).sort()) of(snapshot.budgets[id].orgId).budgets.push(snapshot.budgets[id]);
  for (const id of Object.keys(snapshot.rateLimits).sort()) of(snapshot.rateLimits[id].orgId).rateLimits.push(snapshot.rateLimits[id]);
  return index;
}
