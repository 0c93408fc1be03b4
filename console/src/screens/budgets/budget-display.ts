import type { Tone } from '@/composables/tone';
import type { BudgetAction, BudgetFieldsFragment, BudgetPeriod } from '@/gql/graphql';

/** How each period reads in the list and the form. */
export const PERIOD_LABELS: Record<BudgetPeriod, string> = { DAY: 'Daily', WEEK: 'Weekly', MONTH: 'Monthly', LIFETIME: 'Lifetime' };

/** Options of the period picker, most common first. */
export const PERIOD_OPTIONS = (['MONTH', 'WEEK', 'DAY', 'LIFETIME'] as const).map((value) => ({ value, label: PERIOD_LABELS[value] }));

/** What happens when a budget is used up, in words. */
export const ACTION_LABELS: Record<BudgetAction, string> = { BLOCK: 'Block requests', HOLD: 'Hold for approval' };

/** Alert percentages offered by default (the API's own default is 50, 80, 100). */
export const DEFAULT_THRESHOLDS = [50, 80, 100];

/**
 * The colour of a budget's spend: red once the cap is reached, amber past its highest alert
 * below 100 % (or 80 % without one), neutral otherwise.
 */
export function spendTone(budget: Pick<BudgetFieldsFragment, 'percentUsed' | 'alertThresholds'>): Tone {
  if (budget.percentUsed >= 100) return 'error';
  const warnAt = Math.max(0, ...budget.alertThresholds.filter((t) => t < 100));
  return budget.percentUsed >= (warnAt || 80) ? 'warning' : 'success';
}

/** The current period in words: "Nov 2026", "week 47 of 2026", "Nov 23, 2026", "since it was created". */
export function periodInWords(period: BudgetPeriod, key: string): string {
  if (period === 'LIFETIME') return 'since it was created';
  const week = /^(\d{4})-W(\d{2})$/.exec(key);
  if (week) return `week ${Number(week[2])} of ${week[1]}`;
  const month = /^(\d{4})-(\d{2})$/.exec(key);
  if (month) return new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(+month[1]!, +month[2]! - 1, 1));
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (day) return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!));
  return key;
}

/**
 * Reads typed alert percentages: whole numbers from 1 to 1000, each once, in order. Returns the
 * list, or a sentence naming the first bad entry.
 */
export function parseThresholds(values: readonly string[]): { ok: true; thresholds: number[] } | { ok: false; message: string } {
  const seen = new Set<number>();
  for (const raw of values) {
    const text = raw.trim().replace(/%$/, '');
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 1000) return { ok: false, message: `"${raw}" is not a percentage from 1 to 1000.` };
    seen.add(n);
  }
  if (seen.size > 10) return { ok: false, message: 'At most 10 alert thresholds.' };
  return { ok: true, thresholds: [...seen].sort((a, b) => a - b) };
}
