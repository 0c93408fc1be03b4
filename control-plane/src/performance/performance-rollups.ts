import type { Knex } from '@mikro-orm/postgresql';
import { MINUTE_ROLLUP_HOURS, performanceRollupRows, ROLLUP_GRAINS, type RollupGrain, type TimedEvent } from './rollup-rows.js';

/**
 * Adds rows to one grain's performance rollups: counts and token sums add up,
 * histograms and per-decision counts add index by index (`keyward_add_counts`).
 */
const addRollups = (grain: RollupGrain) => {
  const { table, column } = ROLLUP_GRAINS[grain];
  return `
insert into ${table} (id, created_at, updated_at, organization_id, ${column}, provider, requests, client_errors, server_errors,
  input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram)
select gen_random_uuid(), now(), now(), r.org_id, r.start, r.provider, r.requests, r.client_errors, r.server_errors,
  r.input_tokens, r.output_tokens, r.decision_counts, r.latency_histogram, r.ttft_histogram
from jsonb_to_recordset(?::jsonb) as r(org_id uuid, start timestamptz, provider text, requests bigint, client_errors bigint,
  server_errors bigint, input_tokens bigint, output_tokens bigint, decision_counts bigint[], latency_histogram bigint[], ttft_histogram bigint[])
on conflict (organization_id, ${column}, provider) do update set
  requests = ${table}.requests + excluded.requests,
  client_errors = ${table}.client_errors + excluded.client_errors,
  server_errors = ${table}.server_errors + excluded.server_errors,
  input_tokens = ${table}.input_tokens + excluded.input_tokens,
  output_tokens = ${table}.output_tokens + excluded.output_tokens,
  decision_counts = keyward_add_counts(${table}.decision_counts, excluded.decision_counts),
  latency_histogram = keyward_add_counts(${table}.latency_histogram, excluded.latency_histogram),
  ttft_histogram = keyward_add_counts(${table}.ttft_histogram, excluded.ttft_histogram),
  updated_at = now()`;
};
const ADD_HOURS = addRollups('hour');
const ADD_QUARTERS = addRollups('quarter');
const ADD_MINUTES = addRollups('minute');

/**
 * Adds newly stored events (inserted by `trx`, never seen before) to the hourly and quarter-hour
 * performance rollups, and those of the last `MINUTE_ROLLUP_HOURS` to the minute rollups too.
 */
export async function addToPerformanceRollups(trx: Knex.Transaction, events: readonly TimedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx.raw(ADD_HOURS, [JSON.stringify(performanceRollupRows(events))]);
  await trx.raw(ADD_QUARTERS, [JSON.stringify(performanceRollupRows(events, 'quarter'))]);
  const recent = Date.now() - MINUTE_ROLLUP_HOURS * 3_600_000;
  const minuteEvents = events.filter((event) => event.startedAt.getTime() >= recent);
  if (minuteEvents.length > 0) await trx.raw(ADD_MINUTES, [JSON.stringify(performanceRollupRows(minuteEvents, 'minute'))]);
}
