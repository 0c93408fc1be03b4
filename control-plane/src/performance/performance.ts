import { DECISIONS, type Decision } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { mergeHistograms, quantile, type Histogram } from './histogram.js';

/** How long one chart point lasts: a clock hour or a local day (the organization's time zone). */
export type PerformanceBucket = 'hour' | 'day';

/** The most points one query returns (a month of hours, a year of days). */
const MAX_POINTS = 800;

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

/** Checks a range and its bucket count before any query runs. */
function checkRange(from: Date, to: Date, bucket: PerformanceBucket): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new AppError('BAD_USER_INPUT', 'from and to must be times.');
  if (to.getTime() <= from.getTime()) throw new AppError('BAD_USER_INPUT', 'to must be after from.');
  const points = (to.getTime() - from.getTime()) / (bucket === 'hour' ? 3_600_000 : 86_400_000);
  if (points > MAX_POINTS) {
    throw new AppError('BAD_USER_INPUT', `A performance query returns at most ${MAX_POINTS} points; choose a shorter range or a larger bucket.`);
  }
}

/**
 * The organization's performance from `from` to `to` (exclusive), from its hourly rollups: one
 * point per bucket (empty buckets included), the totals, and each provider's figures. Hours are
 * grouped into the organization's local hours or days.
 */
export async function performanceReport(em: EntityManager, orgId: string, from: Date, to: Date, bucket: PerformanceBucket): Promise<PerformanceReport> {
  checkRange(from, to, bucket);
  const zone = `(select coalesce(o.settings ->> 'timeZone', 'UTC') from organizations o where o.id = :org)`;
  const bindings = { org: orgId, from: from.toISOString(), to: to.toISOString(), unit: bucket };
  const knex = em.getKnex();
  const trx = em.getTransactionContext();
  const run = async <T>(sql: string) => {
    const query = knex.raw(sql, bindings);
    if (trx) query.transacting(trx);
    return ((await query) as { rows: T[] }).rows;
  };
  // The first bucket starts at `from` rounded down in the organization's time zone.
  const range = `with z as (select ${zone} as tz),
    lim as (select date_trunc(:unit, :from::timestamptz at time zone z.tz) at time zone z.tz as lo, :to::timestamptz as hi, z.tz from z)`;
  const rollups = `performance_rollups r, lim where r.organization_id = :org and r.hour >= lim.lo and r.hour < lim.hi`;
  const [points, providers] = await Promise.all([
    run<SumsRow & { start: Date; end: Date }>(
      `${range},
       b as (select s at time zone lim.tz as start, (s + ('1 ' || :unit)::interval) at time zone lim.tz as "end"
               from lim, generate_series(lim.lo at time zone lim.tz, lim.hi at time zone lim.tz - interval '1 microsecond', ('1 ' || :unit)::interval) s),
       p as (select date_trunc(:unit, r.hour at time zone lim.tz) at time zone lim.tz as start, ${SUMS_SQL} from ${rollups} group by 1)
       select b.start, b."end", coalesce(p.requests, 0) as requests, coalesce(p.client, 0) as client, coalesce(p.server, 0) as server,
              coalesce(p.input, 0) as input, coalesce(p.output, 0) as output, coalesce(p.decisions, '{}') as decisions,
              coalesce(p.latency, '{}') as latency, coalesce(p.ttft, '{}') as ttft
         from b left join p on p.start = b.start order by b.start`,
    ),
    run<SumsRow & { provider: string }>(
      `${range} select r.provider, ${SUMS_SQL} from ${rollups} group by r.provider order by sum(r.requests) desc, r.provider`,
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
