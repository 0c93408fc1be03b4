import type { EventBatch, EventBatchAck, UsageEvent } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { scheduleBudgetAlertCheck } from '../budgets/alerts.js';
import { addToSpendRollups } from '../budgets/spend.js';
import type { Services } from '../services.js';
import type { UsageEventMessage } from './usage-event.type.js';

/** The pubsub topic one organization's stored events are published on. */
export function usageEventTopic(orgId: string): string {
  return `usage-events:${orgId}`;
}

/**
 * Stores events idempotently by id, copying each into a typed row. Content text is kept only for
 * organizations with content capture on; otherwise it is dropped before it touches disk.
 * Events of organizations that do not exist (deleted since) are skipped by the join.
 */
const INSERT_EVENTS = `
insert into usage_events (id, created_at, updated_at, organization_id, key_id, key_prefix, owner_label, team_id, provider,
  credential_id, api, endpoint, model, stream, status, decision, error_code, started_at, latency_ms, ttft_ms,
  input_tokens, output_tokens, cached_input_tokens, cost_micros, client_ip_hash, user_agent_hash, request_id, node_id,
  tags, content)
select e."id", now(), now(), e."orgId", e."keyId", e."keyPrefix", e."ownerLabel", e."teamId", e."provider",
  e."credentialId", e."api", e."endpoint", e."model", e."stream", e."status", e."decision", e."errorCode", e."startedAt",
  e."latencyMs", e."ttftMs", e."inputTokens", e."outputTokens", e."cachedInputTokens", e."costMicros", e."clientIpHash",
  e."userAgentHash", e."requestId", e."nodeId", coalesce(e."tags", '[]'::jsonb),
  case when coalesce((o.settings ->> 'contentCapture')::boolean, false) then nullif(e."content", 'null'::jsonb) else null end
from jsonb_to_recordset(?::jsonb) as e("id" uuid, "orgId" uuid, "keyId" uuid, "keyPrefix" text, "ownerLabel" text,
  "teamId" uuid, "provider" text, "credentialId" uuid, "api" text, "endpoint" text, "model" text, "stream" boolean,
  "status" smallint, "decision" text, "errorCode" text, "startedAt" timestamptz, "latencyMs" bigint, "ttftMs" bigint,
  "inputTokens" bigint, "outputTokens" bigint, "cachedInputTokens" bigint, "costMicros" bigint, "clientIpHash" text,
  "userAgentHash" text, "requestId" text, "nodeId" text, "tags" jsonb, "content" jsonb)
join organizations o on o.id = e."orgId"
on conflict (id) do nothing
returning *`;

/** Adds newly stored events to their keys' totals; keys of another organization are left alone. */
const ADD_KEY_TOTALS = `
update keys k set
  request_count = k.request_count + t.requests,
  input_tokens = k.input_tokens + t.input_tokens,
  output_tokens = k.output_tokens + t.output_tokens,
  cached_input_tokens = k.cached_input_tokens + t.cached_input_tokens,
  cost_micros = k.cost_micros + t.cost_micros,
  last_used_at = greatest(k.last_used_at, t.last_used_at)
from jsonb_to_recordset(?::jsonb) as t(key_id uuid, org_id uuid, requests bigint, input_tokens bigint, output_tokens bigint,
  cached_input_tokens bigint, cost_micros bigint, last_used_at timestamptz)
where k.id = t.key_id and k.organization_id = t.org_id`;

/** A stored row as PostgreSQL returns it (bigints arrive as strings). */
export interface UsageEventRow {
  id: string;
  created_at: Date;
  organization_id: string;
  key_id: string;
  key_prefix: string;
  owner_label: string;
  team_id: string | null;
  provider: UsageEvent['provider'];
  credential_id: string | null;
  api: UsageEvent['api'];
  endpoint: string;
  model: string | null;
  stream: boolean;
  status: number;
  decision: UsageEvent['decision'];
  error_code: string | null;
  started_at: Date;
  latency_ms: string | number;
  ttft_ms: string | number | null;
  input_tokens: string | number;
  output_tokens: string | number;
  cached_input_tokens: string | number;
  cost_micros: string | number;
  client_ip_hash: string;
  user_agent_hash: string;
  request_id: string;
  node_id: string;
  tags: string[];
  content: { request: string; response: string } | null;
}

/**
 * Stores a validated batch in one transaction: new events are inserted (known ids are counted
 * as duplicates), and the keys' `lastUsedAt` and totals grow by the new events only. Returns
 * only after the commit, then publishes the new events to their organizations' subscribers.
 */
export async function storeEventBatch(services: Services, batch: EventBatch): Promise<EventBatchAck> {
  if (batch.events.length === 0) return { accepted: 0, duplicates: 0 };
  const knex = (services.orm.em as EntityManager).getKnex();
  const { inserted, known } = await knex.transaction(async (trx) => {
    const orgIds = [...new Set(batch.events.map((e) => e.orgId))];
    const orgs = await trx.raw<{ rows: { id: string }[] }>(
      'select id from organizations where id in (select jsonb_array_elements_text(?::jsonb)::uuid)',
      [JSON.stringify(orgIds)],
    );
    const existing = new Set(orgs.rows.map((r) => r.id));
    const known = batch.events.filter((e) => existing.has(e.orgId)).length;
    const result = await trx.raw<{ rows: UsageEventRow[] }>(INSERT_EVENTS, [JSON.stringify(batch.events)]);
    const totals = keyTotals(result.rows);
    if (totals.length > 0) await trx.raw(ADD_KEY_TOTALS, [JSON.stringify(totals)]);
    // Budget spend is authoritative here: only newly inserted events reach the rollups.
    await addToSpendRollups(trx, result.rows.map((row) => row.id));
    return { inserted: result.rows, known };
  });
  const skipped = batch.events.length - known;
  if (skipped > 0) {
    services.log.warn({ nodeId: batch.nodeId, skipped }, 'skipped usage events of organizations that do not exist');
  }
  for (const row of inserted) {
    void services.pubSub.publish(usageEventTopic(row.organization_id), toUsageEventMessage(row));
  }
  scheduleBudgetAlertCheck(services, new Set(inserted.filter((row) => Number(row.cost_micros) > 0).map((row) => row.organization_id)));
  return { accepted: inserted.length, duplicates: known - inserted.length };
}

/** Per-key sums of the new rows, in key order so concurrent batches lock keys in the same order. */
function keyTotals(rows: readonly UsageEventRow[]) {
  const byKey = new Map<string, { key_id: string; org_id: string; requests: number; input_tokens: number; output_tokens: number; cached_input_tokens: number; cost_micros: number; last_used_at: string }>();
  for (const row of rows) {
    const id = `${row.organization_id}/${row.key_id}`;
    const started = new Date(row.started_at).toISOString();
    const t = byKey.get(id) ?? {
      key_id: row.key_id,
      org_id: row.organization_id,
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cached_input_tokens: 0,
      cost_micros: 0,
      last_used_at: started,
    };
    t.requests += 1;
    t.input_tokens += Number(row.input_tokens);
    t.output_tokens += Number(row.output_tokens);
    t.cached_input_tokens += Number(row.cached_input_tokens);
    t.cost_micros += Number(row.cost_micros);
    if (started > t.last_used_at) t.last_used_at = started;
    byKey.set(id, t);
  }
  return [...byKey.values()].sort((a, b) => (a.key_id < b.key_id ? -1 : a.key_id > b.key_id ? 1 : 0));
}

/** The GraphQL view of a stored row. */
export function toUsageEventMessage(row: UsageEventRow): UsageEventMessage {
  return {
    orgId: row.organization_id,
    id: row.id,
    keyId: row.key_id,
    keyPrefix: row.key_prefix,
    ownerLabel: row.owner_label,
    teamId: row.team_id,
    provider: row.provider,
    credentialId: row.credential_id,
    api: row.api,
    endpoint: row.endpoint,
    model: row.model,
    stream: row.stream,
    status: row.status,
    decision: row.decision,
    errorCode: row.error_code,
    startedAt: new Date(row.started_at),
    receivedAt: new Date(row.created_at),
    latencyMs: Number(row.latency_ms),
    ttftMs: row.ttft_ms === null ? null : Number(row.ttft_ms),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    costMicros: Number(row.cost_micros),
    clientIpHash: row.client_ip_hash,
    userAgentHash: row.user_agent_hash,
    requestId: row.request_id,
    nodeId: row.node_id,
    tags: row.tags ?? [],
    content: row.content ?? null,
  };
}
