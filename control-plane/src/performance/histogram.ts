/**
 * Latency histograms with fixed logarithmic buckets: bucket 0 counts values up to 1 ms, bucket
 * `i` counts values in (GROWTH^(i-1), GROWTH^i] ms, and the last bucket also counts everything
 * above it. Every histogram shares the same boundaries, so two of them merge by adding counts
 * index by index (hours into days, providers into a total), in SQL or here, and a percentile read
 * from a merged histogram is within 5% of the true value.
 */

/** Each bucket's upper bound is this factor above the one before. */
export const GROWTH = 1.1;
/** Buckets in a full histogram: the last starts at about 25 minutes. */
export const HISTOGRAM_BUCKETS = 150;

const LOG_GROWTH = Math.log(GROWTH);

/** Counts per bucket; trailing empty buckets may be left out. */
export type Histogram = readonly number[];

/** The bucket a duration in milliseconds falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  // A hair below the exact power keeps 1.1^i in bucket i despite rounding in the logarithm.
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9));
}

/**
 * The value a bucket stands for: the point whose relative distance to both bounds is equal, so
 * any value in the bucket is within (GROWTH-1)/(GROWTH+1) ≈ 4.8% of it.
 */
export function bucketValue(index: number): number {
  if (index === 0) return 1;
  return (2 * GROWTH ** index) / (GROWTH + 1);
}

/** A histogram of these durations, without trailing empty buckets. */
export function histogramOf(values: Iterable<number>): number[] {
  const counts: number[] = [];
  for (const value of values) {
    const index = bucketOf(value);
    while (counts.length <= index) counts.push(0);
    counts[index]! += 1;
  }
  return counts;
}

/** The sum of two histograms, index by index. */
export function mergeHistograms(a: Histogram, b: Histogram): number[] {
  const merged = Array.from({ length: Math.max(a.length, b.length) }, () => 0);
  for (let i = 0; i < merged.length; i++) merged[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return merged;
}

/**
 * The `q` quantile (0 < q ≤ 1) by nearest rank, as the value of the bucket holding it, in whole
 * milliseconds; null for an empty histogram.
 */
export function quantile(histogram: Histogram, q: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return Math.round(bucketValue(i));
  }
  return Math.round(bucketValue(histogram.length - 1));
}
