import { periodWindow, type BudgetPeriod } from '@keyward/shared';

/**
 * One budget period as local calendar days in the organization's time zone, with the same key
 * data-plane nodes use (`2025-03-12`, `2025-W11`, `2025-03`, `lifetime`), so a node can
 * reconcile its counter for that key with the spend summed here.
 */
export interface PeriodDays {
  readonly key: string;
  /** First local day of the period (`YYYY-MM-DD`), inclusive. */
  readonly fromDay: string;
  /** First local day after the period, exclusive. */
  readonly toDay: string;
}

/** Bounds that contain every rollup day, for lifetime budgets. */
const FIRST_DAY = '0001-01-01';
const AFTER_LAST_DAY = '9999-12-31';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date (`YYYY-MM-DD`) of `at` in the IANA zone `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format.format(at);
}

/**
 * The period of `period` that contains `at`, as local days of `timeZone`. The key and bounds
 * come from the same `periodWindow` nodes use, so both planes name every period alike.
 */
export function periodDays(period: BudgetPeriod, at: Date, timeZone: string): PeriodDays {
  if (period === 'lifetime') return { key: 'lifetime', fromDay: FIRST_DAY, toDay: AFTER_LAST_DAY };
  const window = periodWindow(period, at.getTime(), timeZone);
  return { key: window.key, fromDay: localDay(new Date(window.startMs), timeZone), toDay: localDay(new Date(window.endMs), timeZone) };
}

/** The local days of a calendar month `YYYY-MM`. */
export function monthDays(month: string): PeriodDays {
  const [y, m] = month.split('-').map(Number);
  const next = m === 12 ? Date.UTC(y + 1, 0, 1) : Date.UTC(y, m, 1);
  return { key: month, fromDay: `${month}-01`, toDay: iso(next) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A `date` column's value as `YYYY-MM-DD`, whether the driver gave a string or a local-midnight Date. */
export function dayText(value: string | Date): string {
  if (typeof value === 'string') return value.slice(0, 10);
  return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
}
