import type { RouteStrategy } from '../wire/routes.js';

/** How often `lowest_latency` tries a random target instead of the fastest, so a recovered one is noticed. */
const EXPLORATION = 0.1;

/** What a strategy needs to know of a target. */
export interface OrderableTarget {
  /** The key of its health figures: `<credential id>/<model>`. */
  readonly id: string;
  readonly weight: number;
}

/** What a strategy may read of a target's health: on a node its live board, in the console's test its stored figures. */
export interface TargetHealthView {
  get(id: string): { readonly outstanding: number; latencyPercentile(p: number, now: number): number | null };
}

/** What a strategy may consult about the request. */
export interface OrderingInput<T extends OrderableTarget> {
  readonly strategy: RouteStrategy;
  readonly board: TargetHealthView;
  /** For `lowest_cost`: what this request would cost at a target (micro-dollars; Infinity when unpriced). */
  readonly costOf: (target: T) => number;
  /** For `lowest_cost`: only targets whose observed p50 is at most this go first. */
  readonly maxLatencyMs: number | null;
  readonly now: number;
  readonly random: () => number;
}

/**
 * The order in which a request tries a route's targets: the first is the strategy's choice, the
 * rest are its fallbacks. `fallback` keeps the route's order; `weighted` draws by weight without
 * replacement; `least_outstanding` prefers fewer requests in flight; `lowest_latency` the lowest
 * observed p50 (a target with none yet first, and a random one a tenth of the time);
 * `lowest_cost` the cheapest for this request among targets within `maxLatencyMs`, then the others.
 */
export function orderTargets<T extends OrderableTarget>(targets: readonly T[], input: OrderingInput<T>): readonly T[] {
  if (targets.length < 2) return targets;
  switch (input.strategy) {
    case 'fallback':
      return targets;
    case 'weighted':
      return weightedOrder(targets, input.random);
    case 'least_outstanding':
      return stableSort(targets, (t) => input.board.get(t.id).outstanding);
    case 'lowest_latency': {
      const sorted = stableSort(targets, (t) => input.board.get(t.id).latencyPercentile(0.5, input.now) ?? -1);
      if (input.random() >= EXPLORATION) return sorted;
      const pick = Math.floor(input.random() * sorted.length);
      return [sorted[pick], ...sorted.filter((_, i) => i !== pick)];
    }
    case 'lowest_cost': {
      const limit = input.maxLatencyMs;
      const within = (t: T) => limit === null || (input.board.get(t.id).latencyPercentile(0.5, input.now) ?? 0) <= limit;
      return stableSort(targets, (t) => (within(t) ? 0 : 1e18) + input.costOf(t));
    }
  }
}

function stableSort<T>(targets: readonly T[], score: (t: T) => number): T[] {
  return targets
    .map((t, i) => ({ t, i, s: score(t) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.t);
}

function weightedOrder<T extends OrderableTarget>(targets: readonly T[], random: () => number): T[] {
  const left = [...targets];
  const out: T[] = [];
  while (left.length > 0) {
    let total = 0;
    for (const t of left) total += t.weight;
    let roll = random() * total;
    let index = left.length - 1;
    for (let i = 0; i < left.length; i++) {
      roll -= left[i].weight;
      if (roll < 0) {
        index = i;
        break;
      }
    }
    out.push(left.splice(index, 1)[0]);
  }
  return out;
}
