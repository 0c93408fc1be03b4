import { describe, expect, it } from 'vitest';
import { changeOf, formatCount, formatMs, formatRate, PERFORMANCE_RANGES, rangeVariables } from './ranges';

describe('performance ranges', () => {
  it('asks for the chosen window ending now, in its bucket', () => {
    const now = Date.parse('2026-12-07T15:30:00Z');
    const range = (id: string) => PERFORMANCE_RANGES.find((r) => r.id === id)!;
    expect(rangeVariables(range('30d'), now, true)).toEqual({
      from: '2026-11-07T15:30:00.000Z',
      to: '2026-12-07T15:30:00.000Z',
      bucket: 'DAY',
      compare: true,
    });
    // The last hour in minutes, so its chart is not a single point.
    expect(rangeVariables(range('1h'), now, false)).toEqual({
      from: '2026-12-07T14:30:00.000Z',
      to: '2026-12-07T15:30:00.000Z',
      bucket: 'MINUTE',
      compare: false,
    });
  });

  it('writes latencies, rates and changes for people', () => {
    expect(formatMs(840)).toBe('840 ms');
    expect(formatMs(2_400)).toBe('2.40 s');
    expect(formatMs(null)).toBe('–');
    expect(formatRate(0.0125)).toBe('1.3%');
    expect(changeOf(110, 100)).toBe('+10.0%');
    expect(changeOf(97, 100)).toBe('−3.0%');
    expect(changeOf(5, 0)).toBeNull();
    expect(changeOf(null, 3)).toBeNull();
    expect(formatCount(12_345.6)).toBe('12,346');
    expect(formatCount(0.00321)).toBe('0.0032');
    expect(formatCount(3)).toBe('3');
  });
});
