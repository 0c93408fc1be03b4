import { describe, expect, it } from 'vitest';
import { formatMicros, formatMicrosCompact, sumMicros, toMicros } from './money';

describe('money formatting', () => {
  it('formats whole cents with grouping', () => {
    expect(formatMicros(0)).toBe('$0.00');
    expect(formatMicros(1_000_000)).toBe('$1.00');
    expect(formatMicros('1234567890')).toBe('$1,234.57');
    expect(formatMicros(-2_500_000)).toBe('-$2.50');
  });

  it('rounds to the nearest cent, half away from zero', () => {
    expect(formatMicros(14_999)).toBe('$0.01');
    expect(formatMicros(15_000)).toBe('$0.02');
    expect(formatMicros(-15_000)).toBe('-$0.02');
  });

  it('keeps sub-cent amounts visible instead of rounding them to zero', () => {
    expect(formatMicros(425)).toBe('$0.000425');
    expect(formatMicros(4_200)).toBe('$0.0042');
    expect(formatMicros(1)).toBe('$0.000001');
    expect(formatMicros(100_000 / 10)).toBe('$0.01');
  });

  it('gives every amount the same decimals for table columns', () => {
    expect(formatMicros(1421, { decimals: 4 })).toBe('$0.0014');
    expect(formatMicros(10_000, { decimals: 4 })).toBe('$0.0100');
    expect(formatMicros(12_345_678, { decimals: 4 })).toBe('$12.3457');
    expect(formatMicros(40, { decimals: 4 })).toBe('<$0.0001');
    expect(formatMicros(0, { decimals: 4 })).toBe('$0.0000');
  });

  it('adds amounts exactly beyond the float-safe range', () => {
    const big = '9007199254740993';
    expect(sumMicros([big, 1, '2', null])).toBe(9007199254740996n);
    expect(formatMicros(sumMicros(['100000', '200000']))).toBe('$0.30');
  });

  it('refuses amounts that are not integers', () => {
    expect(() => toMicros(0.1)).toThrow(RangeError);
    expect(() => toMicros('1.5')).toThrow(/integer/);
  });

  it('shortens large amounts for chart axes', () => {
    expect(formatMicrosCompact(12_000_000)).toBe('$12');
    expect(formatMicrosCompact(0)).toBe('$0');
    expect(formatMicrosCompact(2_500_000)).toBe('$2.50');
    expect(formatMicrosCompact(-7_000_000)).toBe('-$7');
    expect(formatMicrosCompact(1_250_000_000)).toBe('$1.3k');
    expect(formatMicrosCompact(3_000_000_000_000n)).toBe('$3M');
  });

  it('keeps neighbouring small axis ticks apart instead of rounding them to the same cent', () => {
    const ticks = [0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000].map((m) => formatMicrosCompact(m));
    expect(ticks).toEqual(['$0', '$0.005', '$0.01', '$0.015', '$0.02', '$0.025', '$0.03']);
  });
});
