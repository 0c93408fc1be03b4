import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../services.js';
import { notifyOrEmail } from '../webhooks/notify.js';
import { formatUsd } from './money.js';

/** A budget threshold crossed for the first time in its period. */
export interface BudgetAlertNotice {
  readonly orgId: string;
  readonly budgetId: string;
  /** `budget` for the organization's budgets, `credits` for the prepaid balance. */
  readonly kind: 'budget' | 'credits';
  readonly scope: { readonly kind: 'org' | 'team' | 'key' | 'pool'; readonly id: string };
  readonly periodKey: string;
  readonly threshold: number;
  readonly spentMicros: number;
  readonly limitMicros: number;
}

/**
 * Sends one budget alert: to the organization's webhooks and Slack integration subscribed to
 * `budget.threshold` (the notice is the payload; it carries no secret), and, when none is,
 * by email to the owners and admins, so an alert is never sent nowhere.
 */
export async function deliverBudgetAlert(services: Services, em: EntityManager, notice: BudgetAlertNotice): Promise<void> {
  const what = notice.kind === 'credits' ? 'Prepaid credits' : `Budget ${notice.budgetId} (${notice.scope.kind} ${notice.scope.id}, ${notice.periodKey})`;
  const subject =
    notice.threshold >= 100
      ? `${notice.kind === 'credits' ? 'Prepaid credits are used up' : 'A budget is exhausted'}: requests are being refused`
      : `${notice.kind === 'credits' ? 'Prepaid credits' : 'A budget'} reached ${notice.threshold}%`;
  const text = [
    `${what} reached ${notice.threshold}% of its limit.`,
    `Spent: $${formatUsd(notice.spentMicros)} of $${formatUsd(notice.limitMicros)}.`,
    notice.threshold >= 100 ? 'Gateway nodes refuse requests that do not fit what is left.' : '',
    `Open ${services.config.publicUrl} to review budgets.`,
  ]
    .filter(Boolean)
    .join('\n');
  await notifyOrEmail(
    services,
    em,
    notice.orgId,
    'budget.threshold',
    { ...notice, limit: formatUsd(notice.limitMicros), spent: formatUsd(notice.spentMicros) },
    { subject, text },
  );
}
