import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import type { Services } from '../services.js';
import { deliverBudgetAlert, type BudgetAlertNotice } from './alert-delivery.js';
import { currentSpend, loadEnforcedBudgets } from './definitions.js';

/** Thresholds whose spend `spent` has reached on a limit of `limit` (a zero limit counts any spend as 100 %). */
function reachedThresholds(thresholds: readonly number[], spent: number, limit: number): number[] {
  if (limit === 0) return spent > 0 ? [...thresholds] : [];
  // Integer arithmetic: spent/limit >= t/100  ⇔  spent*100 >= t*limit.
  return thresholds.filter((t) => spent * 100 >= t * limit);
}

/**
 * Compares every budget of these organizations with its spend in PostgreSQL (the authoritative
 * figure, built from stored events) and sends each threshold crossed for the first time in the
 * period. A row in `budget_alerts` per budget, period and threshold is claimed before sending,
 * so several control planes, or checks racing each other, send each alert once.
 */
async function checkBudgetAlerts(services: Services, orgIds: readonly string[], now = new Date()): Promise<BudgetAlertNotice[]> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const spends = await currentSpend(em, await loadEnforcedBudgets(em, orgIds), now);
  const sent: BudgetAlertNotice[] = [];
  for (const { budget, alertPeriodKey, spentMicros } of spends) {
    const { config } = budget;
    for (const threshold of reachedThresholds(config.alertThresholds, spentMicros, config.limitMicros)) {
      const claimed = await sqlRows(
        em,
        `insert into budget_alerts (id, created_at, updated_at, organization_id, budget_id, period_key, threshold, spent_micros, limit_micros)
         values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?, ?)
         on conflict (budget_id, period_key, threshold) do nothing returning id`,
        [config.orgId, config.id, alertPeriodKey, threshold, spentMicros, config.limitMicros],
      );
      if (claimed.length === 0) continue;
      const notice: BudgetAlertNotice = {
        orgId: config.orgId,
        budgetId: config.id,
        kind: budget.kind,
        scope: config.scope,
        periodKey: alertPeriodKey,
        threshold,
        spentMicros,
        limitMicros: config.limitMicros,
      };
      await deliverBudgetAlert(services, em, notice);
      services.log.info({ orgId: config.orgId, budgetId: config.id, periodKey: alertPeriodKey, threshold }, 'budget alert sent');
      sent.push(notice);
    }
  }
  return sent;
}

/**
 * Runs budget alert checks for organizations whose spend just grew (event ingestion calls
 * `schedule` after its commit), coalesced: a busy organization is checked once per `delayMs`,
 * not per batch, one check at a time.
 */
export class AlertScheduler {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly services: Services,
    private readonly delayMs: number,
  ) {}

  schedule(orgIds: Iterable<string>): void {
    for (const id of orgIds) this.pending.add(id);
    if (this.timer !== null || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const orgIds = [...this.pending];
      this.pending.clear();
      this.running = this.running
        .then(() => checkBudgetAlerts(this.services, orgIds))
        .then(
          () => undefined,
          (error: unknown) => this.services.log.error({ err: error }, 'could not check budget alerts'),
        );
    }, this.delayMs);
    this.timer.unref();
  }
}
