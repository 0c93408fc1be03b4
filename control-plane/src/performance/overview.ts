import type { EntityManager } from '@mikro-orm/postgresql';
import { bucketBindings, checkBucketRange, LOCAL_BUCKETS, namedRows, splitHours } from './local-buckets.js';

/** How long one overview point lasts: a clock hour or a local day (the organization's time zone). */
export type OverviewBucket = 'hour' | 'day';
/** What the overview's series are split by. */
export type OverviewGroupBy = 'model' | 'key';

/** Decisions that stopped a request: a policy, an approver, a limit, a budget or a bad key. */
const BLOCKING = `array['blocked', 'rejected', 'denied', 'rate_limited', 'budget_exceeded']::text[]`;
/** Groups beyond this many (by spend, then requests) are added up into one series. */
const TOP_GROUPS = 5;
const TOP_KEYS = 5;

/** Requests and spend of one stretch of time. */
interface OverviewPoint {
  readonly start: Date;
  readonly end: Date;
  readonly requests: number;
  readonly costMicros: number;
  readonly blocked: number;
  readonly errors: number;
}

/** One model's or key's requests and spend per point; `group` null collects every group outside the top ones. */
interface OverviewSeries {
  /** The model (`''` for requests without one) or the key id; null for the others added up. */
  readonly group: string | null;
  /** The key's name (or prefix) when grouped by key. */
  readonly label: string | null;
  readonly requests: number[];
  readonly costMicros: number[];
}

/** One of the keys that spent the most. */
interface OverviewKey {
  readonly keyId: string;
  readonly name: string | null;
  readonly prefix: string | null;
  readonly requests: number;
  readonly costMicros: number;
  readonly blocked: number;
}

/** An organization's requests and spend over `from`–`to`, in buckets. */
export interface OverviewReport {
  /** The start of the first bucket (the asked `from`, rounded down to its bucket). */
  readonly from: Date;
  readonly to: Date;
  readonly points: readonly OverviewPoint[];
  readonly series: readonly OverviewSeries[];
  readonly topKeys: readonly OverviewKey[];
}

type Sums = { requests: number; cost: number };
type PointRow = Sums & { start: string; end: string; blocked: number; errors: number };
type SeriesRow = Sums & { start: string; grp: string | null; label: string | null };
type KeyRow = Sums & { keyId: string; name: string | null; prefix: string | null; blocked: number };

/** Usage rollups split at quarter hours where a bucket starts inside an hour. */
const SPLIT_HOURS = splitHours({
  hours: 'usage_hour_rollups',
  quarters: 'usage_quarter_rollups',
  kept: ['key_id', 'model', 'decision'],
  sums: ['requests', 'cost_micros'],
});

/**
 * The organization's requests, spend, blocked requests and errors from `from` to `to`
 * (exclusive), from its hourly usage rollups (split at quarter hours where a bucket starts
 * inside an hour): one point per bucket (empty ones included), the top
 * models or keys by spend as series with the rest added up, and the keys that spent the most.
 */
export async function overviewReport(
  em: EntityManager,
  orgId: string,
  from: Date,
  to: Date,
  bucket: OverviewBucket,
  groupBy: OverviewGroupBy,
): Promise<OverviewReport> {
  checkBucketRange(from, to, bucket, 'An overview query');
  const group = groupBy === 'model' ? 'r.model' : 'r.key_id::text';
  const label = groupBy === 'key' ? `(select coalesce(k.name, k.prefix || '…') from keys k where k.id::text = s.grp and k.organization_id = :org)` : 'null';
  // One pass over the rollups in range (`u`, summed per bucket, group and key); points, series and top keys are read from it.
  const [result] = await namedRows<{ points: PointRow[]; series: SeriesRow[]; keys: KeyRow[] }>(
    em,
    `${LOCAL_BUCKETS},
     ${SPLIT_HOURS},
     u as materialized (
       select r.start, ${group} as grp, r.key_id, sum(r.requests) as requests, sum(r.cost_micros) as cost,
              coalesce(sum(r.requests) filter (where r.decision = any(${BLOCKING})), 0) as blocked,
              coalesce(sum(r.requests) filter (where r.decision = 'error'), 0) as errors
         from r, lim where r.start >= lim.lo and r.start < lim.hi
        group by 1, 2, 3),
     p as (select start, sum(requests) as requests, sum(cost) as cost, sum(blocked) as blocked, sum(errors) as errors from u group by 1),
     g as (select grp, row_number() over (order by sum(cost) desc, sum(requests) desc, grp) as rank from u group by 1),
     s as (select u.start, case when g.rank <= ${TOP_GROUPS} then g.grp end as grp, least(g.rank, ${TOP_GROUPS + 1}) as rank,
                  sum(u.requests) as requests, sum(u.cost) as cost
             from u join g on g.grp = u.grp group by 1, 2, 3),
     t as (select key_id, sum(requests) as requests, sum(cost) as cost, sum(blocked) as blocked from u group by 1
            order by cost desc, requests desc, key_id limit ${TOP_KEYS})
     select
       (select json_agg(json_build_object('start', b.start, 'end', b."end", 'requests', coalesce(p.requests, 0), 'cost', coalesce(p.cost, 0),
                 'blocked', coalesce(p.blocked, 0), 'errors', coalesce(p.errors, 0)) order by b.start)
          from b left join p on p.start = b.start) as points,
       (select coalesce(json_agg(json_build_object('start', s.start, 'grp', s.grp, 'label', ${label}, 'requests', s.requests, 'cost', s.cost)
                 order by s.rank, s.start), '[]') from s) as series,
       (select coalesce(json_agg(json_build_object('keyId', t.key_id, 'name', k.name, 'prefix', k.prefix, 'requests', t.requests, 'cost', t.cost,
                 'blocked', t.blocked) order by t.cost desc, t.requests desc, t.key_id), '[]')
          from t left join keys k on k.id = t.key_id and k.organization_id = :org) as keys`,
    bucketBindings(orgId, from, to, bucket),
  );
  const points = result?.points ?? [];
  const series = result?.series ?? [];
  const keys = result?.keys ?? [];
  const starts = points.map((p) => new Date(p.start).getTime());
  const index = new Map(starts.map((start, i) => [start, i]));
  const byGroup = new Map<string | null, { group: string | null; label: string | null; requests: number[]; costMicros: number[] }>();
  for (const row of series) {
    const s = byGroup.get(row.grp) ?? { group: row.grp, label: row.label, requests: starts.map(() => 0), costMicros: starts.map(() => 0) };
    const i = index.get(new Date(row.start).getTime());
    if (i !== undefined) {
      s.requests[i] = row.requests;
      s.costMicros[i] = row.cost;
    }
    byGroup.set(row.grp, s);
  }
  return {
    from: points[0] ? new Date(points[0].start) : from,
    to,
    points: points.map((p) => ({
      start: new Date(p.start),
      end: new Date(p.end),
      requests: p.requests,
      costMicros: p.cost,
      blocked: p.blocked,
      errors: p.errors,
    })),
    series: [...byGroup.values()],
    topKeys: keys.map((k) => ({ keyId: k.keyId, name: k.name, prefix: k.prefix, requests: k.requests, costMicros: k.cost, blocked: k.blocked })),
  };
}
