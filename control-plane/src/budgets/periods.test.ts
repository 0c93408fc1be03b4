import { periodWindow } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { periodDays } from './periods.js';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Kiritimati', 'America/Santiago'];

describe('budget periods on the control plane', () => {
  it('name every period as nodes do and span its local days, across DST changes, week-year edges and months', () => {
    const start = Date.parse('2024-12-27T00:00:00Z');
    for (let at = start; at < start + 400 * 86_400_000; at += 7 * 3_600_000 + 13 * 60_000) {
      for (const timeZone of ZONES) {
        for (const period of ['day', 'week', 'month'] as const) {
          const days = periodDays(period, new Date(at), timeZone);
          const window = periodWindow(period, at, timeZone);
          expect(days.key).toBe(window.key);
          expect(days.fromDay < days.toDay).toBe(true);
          if (period === 'day') expect(days.fromDay).toBe(days.key);
          if (period === 'month') expect(days.fromDay).toBe(`${days.key}-01`);
        }
      }
    }
  });

  it('counts a lifetime budget over every day', () => {
    expect(periodDays('lifetime', new Date(), 'UTC')).toEqual({ key: 'lifetime', fromDay: '0001-01-01', toDay: '9999-12-31' });
  });

  it('gives a week its Monday and the Monday after, in the organization’s zone', () => {
    expect(periodDays('week', new Date('2025-01-01T12:00:00Z'), 'UTC')).toEqual({ key: '2025-W01', fromDay: '2024-12-30', toDay: '2025-01-06' });
    // Late Sunday in New York is already Monday in UTC: the week is still the New York one.
    expect(periodDays('week', new Date('2025-03-10T03:00:00Z'), 'America/New_York')).toEqual({ key: '2025-W10', fromDay: '2025-03-03', toDay: '2025-03-10' });
  });
});
