import { DECISIONS } from '@keyward/shared';
import type { Knex } from '@mikro-orm/postgresql';
import { GROWTH, HISTOGRAM_BUCKETS } from './histogram.js';
import { MINUTE_ROLLUP_HOURS, ROLLUP_GRAINS, TIMED_DECISIONS } from './rollup-rows.js';

/** SQL: the histogram with a single count in the bucket of `ms` (the same buckets as `bucketOf`). */
const bucketCount = (ms: string) =>
  `(array_fill(0::bigint, array[case when ${ms} <= 1 then 0 else least(${HISTOGRAM_BUCKETS - 1}, ceil(ln(${ms}) / ln(${GROWTH}) - 1e-9)::int) end]) || 1::bigint)`;

const list = (values: Iterable<string>) => `array[${[...values].map((v) => `'${v}'`).join(', ')}]::text[]`;

/**
 * Replaces one organization's hourly, quarter-hour and minute performance rollups (minutes of the last
 * `MINUTE_ROLLUP_HOURS` only) with sums computed from its stored events, in SQL. Ingestion keeps
 * the rollups current; this is for events written straight into the table (a seeded benchmark
 * database) and gives the same rows `performanceRollupRows` would.
 */
export async function rebuildPerformanceRollups(knex: Knex, orgId: string): Promise<void> {
  const timed = `e.decision = any(${list(TIMED_DECISIONS)})`;
  await knex.transaction(async (trx) => {
    for (const grain of ['hour', 'quarter', 'minute'] as const) {
      const { table, column, ms } = ROLLUP_GRAINS[grain];
      const recent = grain === 'minute' ? `and e.started_at >= now() - interval '${MINUTE_ROLLUP_HOURS} hours'` : '';
      await trx.raw(`delete from ${table} where organization_id = ?`, [orgId]);
      await trx.raw(
        `insert into ${table} (id, created_at, updated_at, organization_id, ${column}, provider, requests, client_errors, server_errors,
           input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram)
         select gen_random_uuid(), now(), now(), e.organization_id, date_bin(interval '${ms / 1000} seconds', e.started_at, timestamptz '2000-01-01 00:00:00+00'),
           coalesce(e.provider, ''), count(*), count(*) filter (where e.status between 400 and 499), count(*) filter (where e.status >= 500),
           sum(e.input_tokens), sum(e.output_tokens),
           keyward_sum_counts(array_fill(0::bigint, array[array_position(${list(DECISIONS)}, e.decision) - 1]) || 1::bigint),
           keyward_sum_counts(${bucketCount('e.latency_ms')}) filter (where ${timed}),
           keyward_sum_counts(${bucketCount('e.ttft_ms')}) filter (where ${timed} and e.ttft_ms is not null)
         from usage_events e where e.organization_id = ? ${recent}
         group by 4, 5, 6`,
        [orgId],
      );
    }
  });
}
