import type { Limiter } from '../limits/index.js';
import type { Logger } from '../observability/logger.js';
import { FailureStreak } from '../observability/failure-streak.js';
import type { ControlPlaneClient } from './client.js';

/** The query a node sends to learn each budget's spend in its current period, as PostgreSQL has it. */
const BUDGET_SPEND_QUERY = /* GraphQL */ `
  query NodeBudgetSpend {
    nodeBudgetSpend {
      orgId
      budgetId
      periodKey
      spentMicros
    }
  }
`;

/** How long one fetch of the figures may take. */
const FETCH_TIMEOUT_MS = 10_000;

/** One budget period's authoritative spend. */
interface BudgetSpendFigure {
  readonly orgId: string;
  readonly budgetId: string;
  readonly periodKey: string;
  readonly spentMicros: number;
}

/** Options of `startSpendReconciler`. */
export interface SpendReconcilerOptions {
  readonly client: ControlPlaneClient;
  readonly intervalMs: number;
  readonly limiter: Limiter;
  readonly logger: Logger;
}

/** A running reconciler. */
export interface SpendReconciler {
  /** Fetches and applies the figures now; resolves how many periods were reconciled (never rejects). */
  run(): Promise<number>;
  stop(): void;
}

/**
 * Every `intervalMs`, asks the control plane for the spend of every budget's current period
 * (summed from its rollups of stored usage events) and sets the limiter's settled spend to it.
 * This corrects what counters cannot know by themselves: an emptied or restarted Redis, spend
 * counted twice by a replay after an outage, spend admitted by other nodes while fail-open.
 * The figure lags events still on their way (a second or so), which the next round corrects.
 */
export function startSpendReconciler(options: SpendReconcilerOptions): SpendReconciler {
  const streak = new FailureStreak(options.logger.child({ component: 'spend-reconciler' }), {
    failing: 'could not reconcile budget spend; will keep trying',
    recovered: 'budget spend reconciled again',
  });
  let running: Promise<number> | null = null;

  async function once(): Promise<number> {
    try {
      const data = await options.client.graphql<{ nodeBudgetSpend?: unknown }>(BUDGET_SPEND_QUERY, undefined, FETCH_TIMEOUT_MS);
      const figures = parseFigures(data.nodeBudgetSpend);
      for (const figure of figures) await options.limiter.reconcile(figure.orgId, figure.budgetId, figure.periodKey, figure.spentMicros);
      streak.succeeded();
      return figures.length;
    } catch (err) {
      streak.failed((err as Error).message);
      return 0;
    }
  }

  const run = () => {
    running ??= once().finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void run(), options.intervalMs);
  timer.unref();
  void run();
  return {
    run,
    stop() {
      streak.stop();
      clearInterval(timer);
    },
  };
}

/** Checks the control plane's answer before it touches counters. */
function parseFigures(value: unknown): BudgetSpendFigure[] {
  if (!Array.isArray(value)) throw new Error('nodeBudgetSpend must be a list');
  return value.map((item, i) => {
    const figure = item as Partial<BudgetSpendFigure> | null;
    if (
      typeof figure?.orgId !== 'string' ||
      typeof figure.budgetId !== 'string' ||
      typeof figure.periodKey !== 'string' ||
      !/^(?:\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}|\d{4}-\d{2}|lifetime)$/.test(figure.periodKey) ||
      !Number.isSafeInteger(figure.spentMicros) ||
      (figure.spentMicros as number) < 0
    ) {
      throw new Error(`nodeBudgetSpend[${i}] is malformed`);
    }
    return { orgId: figure.orgId, budgetId: figure.budgetId, periodKey: figure.periodKey, spentMicros: figure.spentMicros as number };
  });
}
