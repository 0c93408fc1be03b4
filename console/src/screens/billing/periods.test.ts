import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, localDay, monthLabel, rangeDays, recentMonths } from './periods';

const now = Date.parse('2026-03-01T03:00:00Z');

describe('usage periods', () => {
  it('finds the local day in the organization time zone', () => {
    expect(localDay(now, 'UTC')).toBe('2026-03-01');
    expect(localDay(now, 'America/Los_Angeles')).toBe('2026-02-28');
  });

  it('counts days on the calendar across month ends', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('starts "this month" on its first day and rolling ranges the right number of days back', () => {
    expect(rangeDays('month', now, 'America/Los_Angeles')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(daysBetween(rangeDays('30d', now, 'UTC').from, '2026-03-01')).toHaveLength(30);
  });

  it('lists recent months newest first, across a year end', () => {
    expect(recentMonths(Date.parse('2026-02-10T00:00:00Z'), 'UTC', 3)).toEqual(['2026-02', '2026-01', '2025-12']);
    expect(monthLabel('2025-12')).toBe('December 2025');
  });
});
