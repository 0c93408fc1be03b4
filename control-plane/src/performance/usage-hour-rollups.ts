import type { Knex } from '@mikro-orm/postgresql';

const COLUMNS = `organization_id, hour, key_id, model, provider, decision, requests, input_tokens, output_tokens, cost_micros`;

/** SQL: the rollup rows of the events `where` selects (`e` is `usage_events`), in bucket order. */
const rollupsOf = (where: string) => `
select gen_random_uuid(), now(), now(), b.* from (
  select e.organization_id, date_trunc('hour', e.started_at at time zone 'UTC') at time zone 'UTC', e.key_id, coalesce(e.model, ''),
    coalesce(e.provider, ''), e.decision, count(*), sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micros)
  from usage_events e where ${where}
  group by 1, 2, 3, 4, 5, 6
) b
order by 1, 2, 3, 4, 5, 6`;

/**
 * Adds newly stored events, read back by id, to the hourly usage rollups: sums add up. Rows are
 * written in bucket order so concurrent batches lock them in the same order.
 */
const ADD_USAGE_HOUR_ROLLUPS = `
insert into usage_hour_rollups (id, created_at, updated_at, ${COLUMNS})
${rollupsOf('e.id in (select jsonb_array_elements_text(?::jsonb)::uuid)')}
on conflict (organization_id, hour, key_id, model, provider, decision) do update set
  requests = usage_hour_rollups.requests + excluded.requests,
  input_tokens = usage_hour_rollups.input_tokens + excluded.input_tokens,
  output_tokens = usage_hour_rollups.output_tokens + excluded.output_tokens,
  cost_micros = usage_hour_rollups.cost_micros + excluded.cost_micros,
  updated_at = now()`;

/** Adds the events with these ids (inserted by `trx`, never seen before) to the hourly usage rollups. */
export async function addToUsageHourRollups(trx: Knex.Transaction, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await trx.raw(ADD_USAGE_HOUR_ROLLUPS, [JSON.stringify(eventIds)]);
}

/**
 * Replaces one organization's hourly usage rollups with sums computed from its stored events.
 * Ingestion keeps the rollups current; this is for events written straight into the table (a
 * seeded benchmark database).
 */
export async function rebuildUsageHourRollups(knex: Knex, orgId: string): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw('delete from usage_hour_rollups where organization_id = ?', [orgId]);
    await trx.raw(`insert into usage_hour_rollups (id, created_at, updated_at, ${COLUMNS}) ${rollupsOf('e.organization_id = ?')}`, [orgId]);
  });
}
