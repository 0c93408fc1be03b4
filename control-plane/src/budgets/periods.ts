import type { BudgetPeriod } from '@keyward/shared';

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

const DAY_MS = 86_400_000;
/** Bounds that contain every rollup day, for lifetime budgets. */
export const FIRST_DAY = '0001-01-01';
export const AFTER_LAST_DAY = '9999-12-31';

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

/** The period of `period` that contains `at`, as local days of `timeZone`. */
export function periodDays(period: BudgetPeriod, at: Date, timeZone: string): PeriodDays {
  if (period === 'lifetime') return { key: 'lifetime', fromDay: FIRST_DAY, toDay: AFTER_LAST_DAY };
  const day = localDay(at, timeZone);
  const [y, m, d] = day.split('-').map(Number);
  const utc = Date.UTC(y, m - 1, d);
  if (period === 'day') return { key: day, fromDay: day, toDay: iso(utc + DAY_MS) };
  if (period === 'month') {
    const next = m === 12 ? Date.UTC(y + 1, 0, 1) : Date.UTC(y, m, 1);
    return { key: day.slice(0, 7), fromDay: `${day.slice(0, 7)}-01`, toDay: iso(next) };
  }
  const weekday = (new Date(utc).getUTCDay() + 6) % 7;
  const monday = utc - weekday * DAY_MS;
  const thursday = monday + 3 * DAY_MS;
  const weekYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return { key: `${weekYear}-W${String(week).padStart(2, '0')}`, fromDay: iso(monday), toDay: iso(monday + 7 * DAY_MS) };
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
