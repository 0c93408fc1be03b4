import type { LimitScopeRef } from '@keyward/shared';
import type { Knex } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';

/**
 * Adds newly stored usage events to their rollups, inside the ingestion transaction. Events are
 * read back by id (they were inserted by this transaction), bucketed by the local day of their
 * start in the organization's time zone, and added in bucket order so concurrent batches lock
 * rollup rows in the same order.
 */
const ADD_SPEND_ROLLUPS = `
insert into spend_rollups (id, created_at, updated_at, organization_id, day, team_id, key_id, model,
  requests, input_tokens, output_tokens, cached_input_tokens, cost_micros)
select gen_random_uuid(), now(), now(), b.organization_id, b.day, b.team_id, b.key_id, b.model,
  b.requests, b.input_tokens, b.output_tokens, b.cached_input_tokens, b.cost_micros
from (
  select e.organization_id,
    (e.started_at at time zone coalesce(o.settings ->> 'timeZone', 'UTC'))::date as day,
    e.team_id, e.key_id, coalesce(e.model, '') as model,
    count(*) as requests, sum(e.input_tokens) as input_tokens, sum(e.output_tokens) as output_tokens,
    sum(e.cached_input_tokens) as cached_input_tokens, sum(e.cost_micros) as cost_micros
  from usage_events e join organizations o on o.id = e.organization_id
  where e.id in (select jsonb_array_elements_text(?::jsonb)::uuid)
  group by 1, 2, 3, 4, 5
) b
order by b.organization_id, b.day, b.key_id, b.team_id nulls first, b.model
on conflict (organization_id, day, key_id, (coalesce(team_id, '00000000-0000-0000-0000-000000000000'::uuid)), model) do update set
  requests = spend_rollups.requests + excluded.requests,
  input_tokens = spend_rollups.input_tokens + excluded.input_tokens,
  output_tokens = spend_rollups.output_tokens + excluded.output_tokens,
  cached_input_tokens = spend_rollups.cached_input_tokens + excluded.cached_input_tokens,
  cost_micros = spend_rollups.cost_micros + excluded.cost_micros,
  updated_at = now()`;

/** Adds the events with these ids (inserted by `trx`, never seen before) to the spend rollups. */
export async function addToSpendRollups(trx: Knex.Transaction, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await trx.raw(ADD_SPEND_ROLLUPS, [JSON.stringify(eventIds)]);
}

/** A scope and a range of local days to sum spend over. */
export interface SpendQuery {
  /** Any id to find the answer by (a budget's id). */
  readonly id: string;
  readonly orgId: string;
  readonly scope: LimitScopeRef;
  /** First local day, inclusive (`YYYY-MM-DD`). */
  readonly fromDay: string;
  /** Local day after the last, exclusive. */
  readonly toDay: string;
}

/**
 * Sums rollup spend for many scopes and day ranges in one statement. Returns micro-dollars by
 * query id (0 when nothing was spent).
 */
export async function sumSpend(em: EntityManager, queries: readonly SpendQuery[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (queries.length === 0) return result;
  const rows = await sqlRows<{ id: string; spent: string }>(
    em,
    `select q.id, coalesce((
       select sum(r.cost_micros) from spend_rollups r
        where r.organization_id = q.org_id and r.day >= q.from_day and r.day < q.to_day
          and (q.kind = 'org' or (q.kind = 'team' and r.team_id = q.scope_id) or (q.kind = 'key' and r.key_id = q.scope_id)
               or (q.kind = 'pool' and r.key_id in (select p.key_id from pool_recipients p where p.pool_id = q.scope_id)))
     ), 0) as spent
     from jsonb_to_recordset(?::jsonb) as q(id text, org_id uuid, kind text, scope_id uuid, from_day date, to_day date)`,
    [JSON.stringify(queries.map((q) => ({ id: q.id, org_id: q.orgId, kind: q.scope.kind, scope_id: q.scope.id, from_day: q.fromDay, to_day: q.toDay })))],
  );
  for (const row of rows) result.set(row.id, Number(row.spent));
  return result;
}
