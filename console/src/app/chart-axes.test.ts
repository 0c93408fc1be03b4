import { describe, expect, it } from 'vitest';
import { roundCeiling } from './chart-axes';

describe('roundCeiling', () => {
  it('rounds up to a round multiple of a power of ten, keeping round values', () => {
    expect([26_475, 25_000, 1, 0.3, 7, 101, 4_999].map(roundCeiling)).toEqual([30_000, 25_000, 1, 0.3, 8, 150, 5_000]);
    expect(roundCeiling(0)).toBe(0);
  });
});
