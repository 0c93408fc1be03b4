import { describe, expect, it } from 'vitest';
import { bucketOf, bucketValue, GROWTH, HISTOGRAM_BUCKETS, histogramOf, mergeHistograms, quantile } from './histogram.js';

describe('latency histograms', () => {
  it('puts a duration in the bucket whose bounds hold it', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    for (const ms of [2, 7, 99, 100, 101, 1_234, 60_000]) {
      const i = bucketOf(ms);
      expect(GROWTH ** (i - 1)).toBeLessThan(ms);
      expect(GROWTH ** i).toBeGreaterThanOrEqual(ms * (1 - 1e-9));
    }
  });

  it('counts anything beyond the last bound in the last bucket', () => {
    expect(bucketOf(10 * 3_600_000)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('reads every quantile within 5% of the exact value', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 5 + ((i * 7919) % 9_973) * 0.37);
    const sorted = [...values].sort((a, b) => a - b);
    const histogram = histogramOf(values);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(quantile(histogram, q)! - exact) / exact).toBeLessThan(0.05);
    }
  });

  it('merges two histograms into the histogram of both sets of values', () => {
    const a = [12, 40, 40, 900];
    const b = [3, 40, 25_000];
    expect(mergeHistograms(histogramOf(a), histogramOf(b))).toEqual(histogramOf([...a, ...b]));
    expect(quantile(mergeHistograms(histogramOf(a), histogramOf(b)), 0.5)).toBe(Math.round(bucketValue(bucketOf(40))));
  });

  it('has no quantile when empty', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([0, 0], 0.99)).toBeNull();
  });
});
