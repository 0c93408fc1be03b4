import { sumMicros, toMicros } from '@/composables/money';
import type { OverviewQuery } from '@/gql/graphql';

type Report = OverviewQuery['overview'];

/** Headline numbers for a stretch of time. */
export interface Summary {
  readonly requests: number;
  readonly spendMicros: bigint;
  /** Stopped by a policy, a limit, a budget or a bad key. */
  readonly blocked: number;
  readonly errors: number;
}

/** Totals of the report's points that start at or after `since`. */
export function summaryOf(points: Report['points'], since: number): Summary {
  const kept = points.filter((p) => Date.parse(p.start) >= since);
  return {
    requests: kept.reduce((sum, p) => sum + p.requests, 0),
    spendMicros: sumMicros(kept.map((p) => p.costMicros)),
    blocked: kept.reduce((sum, p) => sum + p.blocked, 0),
    errors: kept.reduce((sum, p) => sum + p.errors, 0),
  };
}

/** Per-bucket totals for one group (a model, a key, or "Other"). */
interface Series {
  readonly name: string;
  readonly requests: number[];
  readonly spendMicros: bigint[];
}

/** Grouped totals over time, ready for a stacked chart. */
export interface Buckets {
  /** Start instant of each bucket. */
  readonly starts: number[];
  readonly series: Series[];
}

/** Name of the series that collects every group outside the top ones. */
export const OTHER = 'Other';

/** The report's series for a stacked chart, named for people: the model, the key's name, or "Other". */
export function bucketsOf(report: Report, groupBy: 'model' | 'key'): Buckets {
  return {
    starts: report.points.map((p) => Date.parse(p.start)),
    series: report.series.map((s) => ({
      name: s.group === null ? OTHER : groupBy === 'model' ? s.group || 'No model' : (s.label ?? s.group),
      requests: s.requests,
      spendMicros: s.costMicros.map((c) => toMicros(c)),
    })),
  };
}

/** One key's share of the traffic. */
export interface KeyUsage {
  readonly keyId: string;
  /** The key's name, or its prefix once it is deleted. */
  readonly name: string;
  readonly prefix: string | null;
  readonly requests: number;
  readonly spendMicros: bigint;
  readonly blocked: number;
}

/** The keys that spent the most, highest first. */
export function topKeysOf(report: Report): KeyUsage[] {
  return report.topKeys.map((k) => ({
    keyId: k.keyId,
    name: k.name ?? (k.prefix ? `${k.prefix}…` : 'Deleted key'),
    prefix: k.prefix,
    requests: k.requests,
    spendMicros: toMicros(k.costMicros),
    blocked: k.blocked,
  }));
}
