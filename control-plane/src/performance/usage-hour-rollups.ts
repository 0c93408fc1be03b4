import type { Knex } from '@mikro-orm/postgresql';

/** A usage rollup table and the SQL of the UTC time slot (`e` is `usage_events`) its rows sum. */
const GRAINS = [
  { table: 'usage_hour_rollups', column: 'hour', slot: `date_trunc('hour', e.started_at at time zone 'UTC') at time zone 'UTC'` },
  { table: 'usage_quarter_rollups', column: 'quarter', slot: `date_bin('15 minutes', e.started_at, timestamptz '2000-01-01 00:00:00+00')` },
] as const;
type Grain = (typeof GRAINS)[number];

const columns = (grain: Grain) => `organization_id, ${grain.column}, key_id, model, provider, decision, requests, input_tokens, output_tokens, cost_micros`;

/** SQL: the rollup rows of the events `where` selects (`e` is `usage_events`), in bucket order. */
const rollupsOf = (grain: Grain, where: string) => `
select gen_random_uuid(), now(), now(), b.* from (
  select e.organization_id, ${grain.slot}, e.key_id, coalesce(e.model, ''),
    coalesce(e.provider, ''), e.decision, count(*), sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micros)
  from usage_events e where ${where}
  group by 1, 2, 3, 4, 5, 6
) b
order by 1, 2, 3, 4, 5, 6`;

/**
 * Adds newly stored events, read back by id, to one grain's usage rollups: sums add up. Rows are
 * written in bucket order so concurrent batches lock them in the same order.
 */
const addRollups = (grain: Grain) => `
insert into ${grain.table} (id, created_at, updated_at, ${columns(grain)})
${rollupsOf(grain, 'e.id in (select jsonb_array_elements_text(?::jsonb)::uuid)')}
on conflict (organization_id, ${grain.column}, key_id, model, provider, decision) do update set
  requests = ${grain.table}.requests + excluded.requests,
  input_tokens = ${grain.table}.input_tokens + excluded.input_tokens,
  output_tokens = ${grain.table}.output_tokens + excluded.output_tokens,
  cost_micros = ${grain.table}.cost_micros + excluded.cost_micros,
  updated_at = now()`;

/** Adds the events with these ids (inserted by `trx`, never seen before) to the hourly and quarter-hour usage rollups. */
export async function addToUsageHourRollups(trx: Knex.Transaction, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  for (const grain of GRAINS) await trx.raw(addRollups(grain), [JSON.stringify(eventIds)]);
}

/**
 * Replaces one organization's hourly and quarter-hour usage rollups with sums computed from its
 * stored events. Ingestion keeps the rollups current; this is for events written straight into
 * the table (a seeded benchmark database).
 */
export async function rebuildUsageHourRollups(knex: Knex, orgId: string): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const grain of GRAINS) {
      await trx.raw(`delete from ${grain.table} where organization_id = ?`, [orgId]);
      await trx.raw(`insert into ${grain.table} (id, created_at, updated_at, ${columns(grain)}) ${rollupsOf(grain, 'e.organization_id = ?')}`, [orgId]);
    }
  });
}
