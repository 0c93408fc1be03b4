/** A local calendar day, `YYYY-MM-DD`, as the usage API takes it. */
export type LocalDay = string;

const DAY_MS = 86_400_000;

/** The calendar day an instant falls on in a time zone. */
export function localDay(at: number, timeZone: string): LocalDay {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The day `days` after (or before, when negative) a calendar day; days are counted on the calendar, not in hours. */
export function addDays(day: LocalDay, days: number): LocalDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: LocalDay, to: LocalDay): LocalDay[] {
  const days: LocalDay[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Ranges the usage charts offer. */
export type UsageRange = 'month' | '30d' | '90d';

/** The first and last local day of a range ending today (this month starts on its first). */
export function rangeDays(range: UsageRange, now: number, timeZone: string): { from: LocalDay; to: LocalDay } {
  const to = localDay(now, timeZone);
  if (range === 'month') return { from: `${to.slice(0, 8)}01`, to };
  return { from: addDays(to, range === '30d' ? -29 : -89), to };
}

/** The current month and the `count - 1` before it, newest first (`YYYY-MM`). */
export function recentMonths(now: number, timeZone: string, count: number): string[] {
  const [year, month] = localDay(now, timeZone).split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(year, month - 1 - i, 1));
    return d.toISOString().slice(0, 7);
  });
}

/** "2026-11" → "November 2026". */
export function monthLabel(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(year, m - 1, 1));
}

/** "2026-11-03" → "Nov 3", for chart axes. */
export function shortDay(day: LocalDay): string {
  return new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(Date.parse(`${day}T00:00:00Z`));
}
