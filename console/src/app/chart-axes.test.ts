import { describe, expect, it } from 'vitest';
import { linePoints, roundCeiling } from './chart-axes';

describe('roundCeiling', () => {
  it('rounds up to a round multiple of a power of ten, keeping round values', () => {
    expect([26_475, 25_000, 1, 0.3, 7, 101, 4_999].map(roundCeiling)).toEqual([30_000, 25_000, 1, 0.3, 8, 150, 5_000]);
    expect(roundCeiling(0)).toBe(0);
  });
});

describe('linePoints', () => {
  const ms = (value: number) => `${value} ms`;
  it('draws a point with no neighbours as a labelled dot and leaves points on a line as they are', () => {
    const label = (formatter: string, position: 'left' | 'right') => ({ show: true, position, formatter, color: '#2b2f38', fontSize: 11 });
    expect(linePoints([null, 40, null, 10, 20, null, 30], ms)).toEqual([
      null,
      { value: 40, symbolSize: 9, label: label('40 ms', 'left') },
      null,
      10,
      20,
      null,
      { value: 30, symbolSize: 9, label: label('30 ms', 'left') },
    ]);
    expect(linePoints([5, null], ms)).toEqual([{ value: 5, symbolSize: 9, label: label('5 ms', 'right') }, null]);
    expect(linePoints([0, 0], ms)).toEqual([0, 0]);
  });

  it('leaves the label out for a line drawn beside another', () => {
    expect(linePoints([null, 7], ms, false)).toEqual([null, { value: 7, symbolSize: 9, label: expect.objectContaining({ show: false }) }]);
  });
});
