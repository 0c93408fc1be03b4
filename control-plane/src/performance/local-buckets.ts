import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';

/** How long one chart point lasts: a clock minute or hour, or a local day (the organization's time zone). */
export type ChartBucket = 'minute' | 'hour' | 'day';

/** The most points one query returns (half a day of minutes, a month of hours, a year of days). */
const MAX_POINTS = 800;
const BUCKET_MS: Readonly<Record<ChartBucket, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Checks a range and its bucket count before any query runs; `what` names the query in the message. */
export function checkBucketRange(from: Date, to: Date, bucket: ChartBucket, what: string): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new AppError('BAD_USER_INPUT', 'from and to must be times.');
  if (to.getTime() <= from.getTime()) throw new AppError('BAD_USER_INPUT', 'to must be after from.');
  if ((to.getTime() - from.getTime()) / BUCKET_MS[bucket] > MAX_POINTS) {
    throw new AppError('BAD_USER_INPUT', `${what} returns at most ${MAX_POINTS} points; choose a shorter range or a larger bucket.`);
  }
}

/**
 * SQL opening a statement with the chart buckets from `:from` to `:to` (exclusive) of
 * organization `:org`, `:unit` long: `lim` holds the first bucket's start (`:from` rounded down in
 * the organization's time zone) as `lo`, `:to` as `hi` and the zone as `tz`; `b` holds each
 * bucket's `start` and `"end"`, empty ones included.
 */
export const LOCAL_BUCKETS = `with z as (select (select coalesce(o.settings ->> 'timeZone', 'UTC') from organizations o where o.id = :org) as tz),
  lim as (select date_trunc(:unit, :from::timestamptz at time zone z.tz) at time zone z.tz as lo, :to::timestamptz as hi, z.tz from z),
  b as (select s at time zone lim.tz as start, (s + ('1 ' || :unit)::interval) at time zone lim.tz as "end"
          from lim, generate_series(lim.lo at time zone lim.tz, lim.hi at time zone lim.tz - interval '1 microsecond', ('1 ' || :unit)::interval) s)`;

/** SQL: the start of the bucket holding the instant `column` (needs `lim`). */
export const bucketStartOf = (column: string) => `date_trunc(:unit, ${column} at time zone lim.tz) at time zone lim.tz`;

/** SQL: the start of an hour in UTC, whatever the session's time zone. */
const utcHourOf = (instant: string) => `date_bin('1 hour', ${instant}, timestamptz '2000-01-01 00:00:00+00')`;

/** A pair of rollup tables (one row per UTC `hour`, one per UTC `quarter`) and the columns a split carries. */
export interface HourAndQuarterRollups {
  readonly hours: string;
  readonly quarters: string;
  /** Columns copied as they are (what a row is about: key, model, provider…). */
  readonly kept: readonly string[];
  /** Number columns, negated where quarters move out of a bucket. */
  readonly sums: readonly string[];
  /** Count arrays (`bigint[]`, added index by index by `keyward_sum_counts`), negated likewise. */
  readonly counts?: readonly string[];
}

/**
 * SQL (after `LOCAL_BUCKETS`): `r`, the rollup rows of the range each with the `start` of its
 * bucket (rows of the hours around the range included: filter on `start`). An hourly row counts
 * in the bucket holding the hour's end. Where a bucket edge falls inside an hour (a local day
 * starting at 18:30 UTC in India, 18:15 in Nepal), the hour's quarters before the edge move back
 * to the bucket before it: added there, taken from the one after.
 */
export function splitHours({ hours, quarters, kept, sums, counts = [] }: HourAndQuarterRollups): string {
  const columns = (row: string, sign: string) =>
    [
      ...kept.map((c) => `${row}.${c}`),
      ...sums.map((c) => `${sign}${row}.${c} as ${c}`),
      ...counts.map((c) => (sign === '' ? `${row}.${c}` : `array(select ${sign}v from unnest(${row}.${c}) with ordinality u(v, i) order by i) as ${c}`)),
    ].join(', ');
  return `edges as (
    select e.at from (select b.start as at from b union all select lim.hi from lim) e where e.at <> ${utcHourOf('e.at')}),
  r as (
    select ${bucketStartOf("(h.hour + interval '1 hour' - interval '1 microsecond')")} as start, ${columns('h', '')}
      from ${hours} h, lim
     where h.organization_id = :org and h.hour > lim.lo - interval '1 hour' and h.hour < lim.hi
    union all
    select ${bucketStartOf('x.at')}, ${columns('q', 'x.sign * ')}
      from edges cross join lim
      -- \`offset 0\` keeps this a lookup per edge (an index range of its hour) rather than a scan of every quarter.
      cross join lateral (select * from ${quarters} q
                           where q.organization_id = :org and q.quarter >= ${utcHourOf('edges.at')} and q.quarter < edges.at offset 0) q
      cross join lateral (values (edges.at - interval '1 microsecond', 1), (edges.at, -1)) x(at, sign))`;
}

/** The named bindings `LOCAL_BUCKETS` reads. */
export function bucketBindings(orgId: string, from: Date, to: Date, bucket: ChartBucket): Record<string, string> {
  return { org: orgId, from: from.toISOString(), to: to.toISOString(), unit: bucket };
}

/** Runs one statement with named bindings, inside the entity manager's transaction when it has one. */
export async function namedRows<T>(em: EntityManager, sql: string, bindings: Record<string, unknown>): Promise<T[]> {
  const query = em.getKnex().raw(sql, bindings);
  const trx = em.getTransactionContext();
  if (trx) query.transacting(trx);
  return ((await query) as { rows: T[] }).rows;
}
