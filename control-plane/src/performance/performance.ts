import { DECISIONS, type Decision } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { mergeHistograms, quantile, type Histogram } from './histogram.js';
import { bucketBindings, bucketStartOf, checkBucketRange, LOCAL_BUCKETS, namedRows, splitHours, type ChartBucket } from './local-buckets.js';
import { MINUTE_ROLLUP_HOURS, ROLLUP_GRAINS } from './rollup-rows.js';

/** How long one chart point lasts: a clock minute or hour, or a local day (the organization's time zone). */
export type PerformanceBucket = ChartBucket;

/** Summed rollups over some stretch of time. */
export interface PerformanceSums {
  readonly requests: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Requests per decision, in the order of `DECISIONS`. */
  readonly decisionCounts: Histogram;
  readonly latency: Histogram;
  readonly ttft: Histogram;
}

/** Figures people read off a chart, from summed rollups over `minutes`. */
export interface PerformanceFigures {
  readonly requests: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  readonly clientErrorRate: number;
  readonly serverErrorRate: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly tokensPerMinute: number;
  readonly latencyP50: number | null;
  readonly latencyP95: number | null;
  readonly latencyP99: number | null;
  readonly ttftP50: number | null;
  readonly ttftP95: number | null;
  readonly ttftP99: number | null;
  /** Requests per decision, decisions with none left out. */
  readonly decisions: readonly { decision: Decision; requests: number }[];
}

/** One bucket of a performance series. */
interface PerformancePoint extends PerformanceFigures {
  readonly start: Date;
  readonly end: Date;
}

/** One provider's figures over the whole range; `provider` is null for requests decided before one was chosen. */
interface ProviderPerformance extends PerformanceFigures {
  readonly provider: string | null;
}

/** Performance of an organization over `from`–`to`, in buckets. */
export interface PerformanceReport {
  /** The start of the first bucket (the asked `from`, rounded down to its bucket). */
  readonly from: Date;
  readonly to: Date;
  readonly bucket: PerformanceBucket;
  readonly points: readonly PerformancePoint[];
  readonly totals: PerformanceFigures;
  readonly providers: readonly ProviderPerformance[];
}

const EMPTY: PerformanceSums = { requests: 0, clientErrors: 0, serverErrors: 0, inputTokens: 0, outputTokens: 0, decisionCounts: [], latency: [], ttft: [] };

/** The sum of two rollup sums. */
export function addSums(a: PerformanceSums, b: PerformanceSums): PerformanceSums {
  return {
    requests: a.requests + b.requests,
    clientErrors: a.clientErrors + b.clientErrors,
    serverErrors: a.serverErrors + b.serverErrors,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    decisionCounts: mergeHistograms(a.decisionCounts, b.decisionCounts),
    latency: mergeHistograms(a.latency, b.latency),
    ttft: mergeHistograms(a.ttft, b.ttft),
  };
}

/** Rates, token throughput and percentiles of summed rollups covering `minutes`. */
export function figuresOf(sums: PerformanceSums, minutes: number): PerformanceFigures {
  const rate = (part: number) => (sums.requests === 0 ? 0 : part / sums.requests);
  return {
    requests: sums.requests,
    clientErrors: sums.clientErrors,
    serverErrors: sums.serverErrors,
    clientErrorRate: rate(sums.clientErrors),
    serverErrorRate: rate(sums.serverErrors),
    inputTokens: sums.inputTokens,
    outputTokens: sums.outputTokens,
    tokensPerMinute: minutes > 0 ? (sums.inputTokens + sums.outputTokens) / minutes : 0,
    latencyP50: quantile(sums.latency, 0.5),
    latencyP95: quantile(sums.latency, 0.95),
    latencyP99: quantile(sums.latency, 0.99),
    ttftP50: quantile(sums.ttft, 0.5),
    ttftP95: quantile(sums.ttft, 0.95),
    ttftP99: quantile(sums.ttft, 0.99),
    decisions: DECISIONS.flatMap((decision, i) => ((sums.decisionCounts[i] ?? 0) > 0 ? [{ decision, requests: sums.decisionCounts[i]! }] : [])),
  };
}

type SumsRow = { requests: string; client: string; server: string; input: string; output: string; decisions: string[]; latency: string[]; ttft: string[] };

const SUMS_SQL = `coalesce(sum(r.requests), 0) as requests, coalesce(sum(r.client_errors), 0) as client, coalesce(sum(r.server_errors), 0) as server,
  coalesce(sum(r.input_tokens), 0) as input, coalesce(sum(r.output_tokens), 0) as output, keyward_sum_counts(r.decision_counts) as decisions,
  keyward_sum_counts(r.latency_histogram) as latency, keyward_sum_counts(r.ttft_histogram) as ttft`;

const SUMMED = {
  sums: ['requests', 'client_errors', 'server_errors', 'input_tokens', 'output_tokens'],
  counts: ['decision_counts', 'latency_histogram', 'ttft_histogram'],
};

/** SQL (after `LOCAL_BUCKETS`): `r`, the minute rollups of the range, each with the start of its bucket. */
const MINUTE_ROWS = `r as (
    select ${bucketStartOf('m.minute')} as start, m.provider, ${[...SUMMED.sums, ...SUMMED.counts].map((c) => `m.${c}`).join(', ')}
      from ${ROLLUP_GRAINS.minute.table} m, lim where m.organization_id = :org and m.minute >= lim.lo and m.minute < lim.hi)`;

/** SQL (after `LOCAL_BUCKETS`): `r`, the hourly rollups of the range split at quarter hours where a bucket starts inside an hour. */
const SPLIT_HOURS = splitHours({ hours: ROLLUP_GRAINS.hour.table, quarters: ROLLUP_GRAINS.quarter.table, kept: ['provider'], ...SUMMED });

function sumsOf(row: SumsRow): PerformanceSums {
  return {
    requests: Number(row.requests),
    clientErrors: Number(row.client),
    serverErrors: Number(row.server),
    inputTokens: Number(row.input),
    outputTokens: Number(row.output),
    decisionCounts: row.decisions.map(Number),
    latency: row.latency.map(Number),
    ttft: row.ttft.map(Number),
  };
}

/**
 * The organization's performance from `from` to `to` (exclusive), from its minute or hourly
 * rollups: one point per bucket (empty buckets included), the totals, and each provider's
 * figures. Hours are grouped into the organization's local hours or days, split at quarter hours
 * where one of those starts inside a UTC hour.
 */
export async function performanceReport(em: EntityManager, orgId: string, from: Date, to: Date, bucket: PerformanceBucket): Promise<PerformanceReport> {
  checkBucketRange(from, to, bucket, 'A performance query');
  if (bucket === 'minute' && from.getTime() < Date.now() - (MINUTE_ROLLUP_HOURS + 1) * 3_600_000) {
    throw new AppError('BAD_USER_INPUT', `Minute buckets cover the last ${MINUTE_ROLLUP_HOURS} hours; choose hours or days for an earlier range.`);
  }
  const rows = `${LOCAL_BUCKETS}, ${bucket === 'minute' ? MINUTE_ROWS : SPLIT_HOURS}, rr as (select r.* from r, lim where r.start >= lim.lo and r.start < lim.hi)`;
  const bindings = bucketBindings(orgId, from, to, bucket);
  const [points, providers] = await Promise.all([
    namedRows<SumsRow & { start: Date; end: Date }>(
      em,
      `${rows},
       p as (select r.start, ${SUMS_SQL} from rr r group by 1)
       select b.start, b."end", coalesce(p.requests, 0) as requests, coalesce(p.client, 0) as client, coalesce(p.server, 0) as server,
              coalesce(p.input, 0) as input, coalesce(p.output, 0) as output, coalesce(p.decisions, '{}') as decisions,
              coalesce(p.latency, '{}') as latency, coalesce(p.ttft, '{}') as ttft
         from b left join p on p.start = b.start order by b.start`,
      bindings,
    ),
    namedRows<SumsRow & { provider: string }>(
      em,
      `${rows} select r.provider, ${SUMS_SQL} from rr r group by r.provider having sum(r.requests) <> 0 order by sum(r.requests) desc, r.provider`,
      bindings,
    ),
  ]);
  const start = points[0] ? new Date(points[0].start) : from;
  const minutes = (a: Date, b: Date) => Math.max(0, (Math.min(b.getTime(), to.getTime()) - Math.max(a.getTime(), start.getTime())) / 60_000);
  let total = EMPTY;
  const series = points.map((row) => {
    const sums = sumsOf(row);
    total = addSums(total, sums);
    const pointStart = new Date(row.start);
    const pointEnd = new Date(row.end);
    return { start: pointStart, end: pointEnd, ...figuresOf(sums, minutes(pointStart, pointEnd)) };
  });
  const rangeMinutes = minutes(start, to);
  return {
    from: start,
    to,
    bucket,
    points: series,
    totals: figuresOf(total, rangeMinutes),
    providers: providers.map((row) => ({ provider: row.provider === '' ? null : row.provider, ...figuresOf(sumsOf(row), rangeMinutes) })),
  };
}
