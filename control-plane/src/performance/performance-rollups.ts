import type { Knex } from '@mikro-orm/postgresql';
import { performanceRollupRows, type TimedEvent } from './rollup-rows.js';

/**
 * Adds rows to the hourly performance rollups: counts and token sums add up, histograms and
 * per-decision counts add index by index (`keyward_add_counts`).
 */
const ADD_PERFORMANCE_ROLLUPS = `
insert into performance_rollups (id, created_at, updated_at, organization_id, hour, provider, requests, client_errors, server_errors,
  input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram)
select gen_random_uuid(), now(), now(), r.org_id, r.hour, r.provider, r.requests, r.client_errors, r.server_errors,
  r.input_tokens, r.output_tokens, r.decision_counts, r.latency_histogram, r.ttft_histogram
from jsonb_to_recordset(?::jsonb) as r(org_id uuid, hour timestamptz, provider text, requests bigint, client_errors bigint,
  server_errors bigint, input_tokens bigint, output_tokens bigint, decision_counts bigint[], latency_histogram bigint[], ttft_histogram bigint[])
on conflict (organization_id, hour, provider) do update set
  requests = performance_rollups.requests + excluded.requests,
  client_errors = performance_rollups.client_errors + excluded.client_errors,
  server_errors = performance_rollups.server_errors + excluded.server_errors,
  input_tokens = performance_rollups.input_tokens + excluded.input_tokens,
  output_tokens = performance_rollups.output_tokens + excluded.output_tokens,
  decision_counts = keyward_add_counts(performance_rollups.decision_counts, excluded.decision_counts),
  latency_histogram = keyward_add_counts(performance_rollups.latency_histogram, excluded.latency_histogram),
  ttft_histogram = keyward_add_counts(performance_rollups.ttft_histogram, excluded.ttft_histogram),
  updated_at = now()`;

/** Adds newly stored events (inserted by `trx`, never seen before) to the performance rollups. */
export async function addToPerformanceRollups(trx: Knex.Transaction, events: readonly TimedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx.raw(ADD_PERFORMANCE_ROLLUPS, [JSON.stringify(performanceRollupRows(events))]);
}
