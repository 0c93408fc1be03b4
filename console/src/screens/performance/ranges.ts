import type { PerformanceBucket } from '@/gql/graphql';

/** A window the Performance screen can show, and the bucket its points use. */
export interface PerformanceRange {
  readonly id: '1h' | '24h' | '7d' | '30d';
  readonly label: string;
  readonly hours: number;
  readonly bucket: PerformanceBucket;
}

/** The windows on offer: minutes for an hour, hours for a day or a week, local days for a month. */
export const PERFORMANCE_RANGES: readonly PerformanceRange[] = [
  { id: '1h', label: '1 hour', hours: 1, bucket: 'MINUTE' },
  { id: '24h', label: '24 hours', hours: 24, bucket: 'HOUR' },
  { id: '7d', label: '7 days', hours: 24 * 7, bucket: 'HOUR' },
  { id: '30d', label: '30 days', hours: 24 * 30, bucket: 'DAY' },
];

/** The query variables for a window ending now. */
export function rangeVariables(range: PerformanceRange, now: number, compare: boolean) {
  return { from: new Date(now - range.hours * 3_600_000).toISOString(), to: new Date(now).toISOString(), bucket: range.bucket, compare };
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Milliseconds for people: "840 ms", "2.4 s"; a dash when there is no figure. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms < 1_000 ? `${count.format(ms)} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A share from 0 to 1 as a percentage with one decimal. */
export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

const small = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });

/** A count or rate for people: separators for large values, two significant digits below 10 (0.0032 tokens a minute). */
export function formatCount(value: number): string {
  return value >= 10 || Number.isInteger(value) ? count.format(value) : small.format(value);
}

/** How a figure moved against the previous period ("+12.5%", "−3.0%"), or null when it cannot be said. */
export function changeOf(current: number | null, previous: number | null): string | null {
  if (current === null || previous === null || previous === 0) return null;
  const change = ((current - previous) / previous) * 100;
  return `${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}%`;
}
