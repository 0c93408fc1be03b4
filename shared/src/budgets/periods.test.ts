import { describe, expect, it } from 'vitest';
import { periodKeyEndBound, periodWindow } from './periods.js';

const utc = (iso: string) => Date.parse(iso);

describe('budget periods', () => {
  it('starts a day at local midnight in the time zone, including across the EDT offset', () => {
    expect(periodWindow('day', utc('2025-03-12T03:30:00Z'), 'America/New_York')).toEqual({
      key: '2025-03-11',
      startMs: utc('2025-03-11T04:00:00Z'),
      endMs: utc('2025-03-12T04:00:00Z'),
    });
    expect(periodWindow('day', utc('2025-03-12T03:30:00Z'), 'UTC').key).toBe('2025-03-12');
  });

  it('gives the day clocks spring forward 23 hours and the day they fall back 25', () => {
    const spring = periodWindow('day', utc('2025-03-09T12:00:00Z'), 'America/New_York');
    expect(spring.endMs - spring.startMs).toBe(23 * 3_600_000);
    const autumn = periodWindow('day', utc('2025-11-02T12:00:00Z'), 'America/New_York');
    expect(autumn).toMatchObject({ key: '2025-11-02', startMs: utc('2025-11-02T04:00:00Z'), endMs: utc('2025-11-03T05:00:00Z') });
  });

  it('starts a day at the DST jump where clocks skip midnight', () => {
    // Chile moved from 00:00 to 01:00 on 8 September 2024: the day began at 04:00 UTC.
    expect(periodWindow('day', utc('2024-09-08T15:00:00Z'), 'America/Santiago')).toEqual({
      key: '2024-09-08',
      startMs: utc('2024-09-08T04:00:00Z'),
      endMs: utc('2024-09-09T03:00:00Z'),
    });
  });

  it('starts ISO weeks on Monday and names them by ISO week-year', () => {
    expect(periodWindow('week', utc('2025-03-12T15:00:00Z'), 'Europe/Paris')).toEqual({
      key: '2025-W11',
      startMs: utc('2025-03-09T23:00:00Z'),
      endMs: utc('2025-03-16T23:00:00Z'),
    });
    expect(periodWindow('week', utc('2024-12-31T12:00:00Z'), 'UTC').key).toBe('2025-W01');
    expect(periodWindow('week', utc('2021-01-03T12:00:00Z'), 'UTC').key).toBe('2020-W53');
  });

  it('runs months from the first to the first in local time', () => {
    expect(periodWindow('month', utc('2025-02-28T23:30:00Z'), 'Asia/Tokyo')).toEqual({
      key: '2025-03',
      startMs: utc('2025-02-28T15:00:00Z'),
      endMs: utc('2025-03-31T15:00:00Z'),
    });
    expect(periodWindow('month', utc('2025-12-15T00:00:00Z'), 'UTC').endMs).toBe(utc('2026-01-01T00:00:00Z'));
  });

  it('never ends a lifetime budget', () => {
    expect(periodWindow('lifetime', utc('2025-03-12T15:00:00Z'), 'UTC')).toEqual({ key: 'lifetime', startMs: -Infinity, endMs: Infinity });
  });

  it('moves to the next window as soon as the cached one ends', () => {
    const before = periodWindow('day', utc('2025-03-12T03:59:59.999Z'), 'America/New_York');
    const after = periodWindow('day', utc('2025-03-12T04:00:00Z'), 'America/New_York');
    expect([before.key, after.key]).toEqual(['2025-03-11', '2025-03-12']);
  });

  it('refuses a time zone the runtime does not know', () => {
    expect(() => periodWindow('day', 0, 'Mars/Olympus_Mons')).toThrow('Time zone "Mars/Olympus_Mons" is not an IANA time zone');
  });

  it('bounds the end of a period named only by its key, whatever the zone', () => {
    expect(periodKeyEndBound('2025-03-11')).toBeGreaterThanOrEqual(periodWindow('day', utc('2025-03-11T12:00:00Z'), 'Pacific/Niue').endMs);
    expect(periodKeyEndBound('2025-W11')).toBe(utc('2025-03-17T14:00:00Z'));
    expect(periodKeyEndBound('2025-12')).toBe(utc('2026-01-01T14:00:00Z'));
    expect(periodKeyEndBound('lifetime')).toBe(Infinity);
    expect(() => periodKeyEndBound('2025/03')).toThrow(RangeError);
  });
});
