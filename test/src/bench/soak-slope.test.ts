import { describe, expect, it } from 'vitest';
import { slopeOf } from '../../bench/lib/soak.js';

/** Samples every 10 s over 10 minutes: `mib(seconds)` plus a fixed ±0.5 MiB wobble. */
function samples(mib: (seconds: number) => number): [number, number][] {
  return Array.from({ length: 61 }, (_, i) => [i * 10, mib(i * 10) + (i % 2 === 0 ? 0.5 : -0.5)]);
}

describe('soak slope', () => {
  it('calls memory that only wobbles flat, with its scatter as the bound', () => {
    const slope = slopeOf(samples(() => 120));
    expect(slope.flat).toBe(true);
    expect(Math.abs(slope.mibPerHour)).toBeLessThan(0.5);
    expect(slope.scatterMib).toBeCloseTo(0.5, 1);
  });

  it('finds a leak of 1 MiB a minute under the same wobble', () => {
    const slope = slopeOf(samples((seconds) => 120 + seconds / 60));
    expect(slope.flat).toBe(false);
    expect(slope.mibPerHour).toBeCloseTo(60, 0);
    expect(slope.growthOverSpanMib).toBeCloseTo(10, 0);
  });

  it('does not judge fewer than three samples', () => {
    expect(
      slopeOf([
        [0, 1],
        [10, 2],
      ]).flat,
    ).toBe(false);
    expect(
      slopeOf([
        [0, 1],
        [10, 2],
      ]).mibPerHour,
    ).toBeNaN();
  });
});
