import type { EntityManager } from '@mikro-orm/postgresql';
import { rebuildUsageHourRollups } from '../performance/usage-hour-rollups.js';
import { rebuildPerformanceRollups } from '../performance/rebuild.js';
import type { RunningControlPlane } from '../server.js';

/** How many events to seed for one organization, spread over its keys and the last `days`. */
export interface EventSeed {
  readonly orgId: string;
  readonly keyIds: readonly string[];
  readonly count: number;
  readonly days: number;
}

/**
 * Writes `count` usage events straight into PostgreSQL with `generate_series` (a benchmark's
 * million rows in seconds, not through ingestion), spread evenly over the last `days`, four
 * models on three providers, mostly allowed with some blocked, rate-limited, redacted and failed
 * requests, then builds the organization's spend, performance and hourly usage rollups from them.
 */
export async function seedUsageEvents(cp: RunningControlPlane, seed: EventSeed): Promise<void> {
  const knex = (cp.services.orm.em as EntityManager).getKnex();
  await knex.raw(
    `insert into usage_events (id, organization_id, key_id, key_prefix, owner_label, provider, api, endpoint, model, stream, status, decision,
       started_at, latency_ms, ttft_ms, input_tokens, output_tokens, cached_input_tokens, cost_micros, client_ip_hash, user_agent_hash,
       request_id, node_id, tags)
     with k as (select array_agg(value::uuid) as ids from jsonb_array_elements_text(:keys::jsonb))
     select gen_random_uuid(), :org, k.ids[1 + i % cardinality(k.ids)], 'kw_seed', 'seeded agent',
       (array['openai', 'openai', 'anthropic', 'gemini'])[1 + i % 4], 'openai', 'chat.completions',
       (array['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'gemini-2.5-flash'])[1 + i % 4], i % 2 = 0,
       case when d < 90 then 200 when d < 93 then 200 when d < 96 then 403 when d < 98 then 429 else 502 end,
       case when d < 90 then 'allowed' when d < 93 then 'redacted' when d < 96 then 'blocked' when d < 98 then 'rate_limited' else 'error' end,
       now() - (i::double precision / :count) * make_interval(days => :days),
       (150 + 4000 * power(random(), 3))::bigint, case when i % 2 = 0 then (80 + 900 * power(random(), 3))::bigint end,
       200 + i % 800, 50 + i % 300, 0, 100 + i % 900, 'seed', 'seed', 'seed-' || i, 'seed-node', '[]'::jsonb
     from k, generate_series(1, :count) as s(i), lateral (select (i::bigint * 7919) % 100 as d) r`,
    { org: seed.orgId, keys: JSON.stringify(seed.keyIds), count: seed.count, days: seed.days },
  );
  await knex.raw(
    `insert into spend_rollups (id, created_at, updated_at, organization_id, day, team_id, key_id, model, requests, input_tokens,
       output_tokens, cached_input_tokens, cost_micros)
     select gen_random_uuid(), now(), now(), e.organization_id, (e.started_at at time zone coalesce(o.settings ->> 'timeZone', 'UTC'))::date,
       e.team_id, e.key_id, coalesce(e.model, ''), count(*), sum(e.input_tokens), sum(e.output_tokens), sum(e.cached_input_tokens), sum(e.cost_micros)
     from usage_events e join organizations o on o.id = e.organization_id
     where e.organization_id = ?
     group by 4, 5, 6, 7, 8`,
    [seed.orgId],
  );
  await rebuildPerformanceRollups(knex, seed.orgId);
  await rebuildUsageHourRollups(knex, seed.orgId);
}
