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
