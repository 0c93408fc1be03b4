import { describe, expect, it } from 'vitest';
import { formatDuration, formatExact, formatRelative, startOfDay } from './time';

const now = Date.parse('2026-11-23T12:00:00Z');

describe('relative times', () => {
  it('reads recent instants in the past and the future', () => {
    expect(formatRelative('2026-11-23T11:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-11-23T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-11-23T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-11-22T10:00:00Z', now)).toBe('yesterday');
    expect(formatRelative('2026-11-26T12:00:00Z', now)).toBe('in 3 days');
    expect(formatRelative(now + 10 * 60_000, now)).toBe('in 10 min');
  });

  it('reads an instant a few seconds ahead of the browser as just now (clock skew), not the future', () => {
    expect(formatRelative(now + 2_000, now)).toBe('just now');
    expect(formatRelative(now + 30_000, now)).toBe('in a moment');
  });

  it('falls back to the date after four weeks', () => {
    expect(formatRelative('2026-09-01T00:00:00Z', now)).toBe('Sep 1, 2026');
  });

  it('shows the exact instant in the organization time zone', () => {
    expect(formatExact('2026-11-23T12:00:05Z', 'UTC')).toBe('Nov 23, 2026, 12:00:05 UTC');
    expect(formatExact('2026-11-23T12:00:05Z', 'Europe/Paris')).toBe('Nov 23, 2026, 13:00:05 GMT+1');
  });
});

describe('durations', () => {
  it('uses milliseconds below a second and seconds above', () => {
    expect(formatDuration(845)).toBe('845 ms');
    expect(formatDuration(1_240)).toBe('1.2 s');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('start of day in a time zone', () => {
  it('finds local midnight', () => {
    expect(new Date(startOfDay(now, 'UTC')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(startOfDay(now, 'America/New_York')).toISOString()).toBe('2026-11-23T05:00:00.000Z');
    expect(new Date(startOfDay(now, 'Asia/Kolkata', 1)).toISOString()).toBe('2026-11-21T18:30:00.000Z');
  });

  it('keeps midnight on the calendar across a DST change', () => {
    const afterChange = Date.parse('2026-11-02T15:00:00Z');
    expect(new Date(startOfDay(afterChange, 'America/New_York', 2)).toISOString()).toBe('2026-10-31T04:00:00.000Z');
  });
});
