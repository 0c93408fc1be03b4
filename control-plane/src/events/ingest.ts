import type { EventBatch, EventBatchAck, UsageEvent } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { USAGE_CHAIN } from '../audit-chain/chain-kinds.js';
import { appendPrepared, prepareLinks } from '../audit-chain/chain-append.js';
import { actOnAnomalies } from '../anomaly/anomaly-actions.js';
import { addToSpendRollups } from '../budgets/spend.js';
import { addToUsageHourRollups } from '../performance/usage-hour-rollups.js';
import { addToPerformanceRollups } from '../performance/performance-rollups.js';
import { notePoolLimitHits } from '../pools/limit-notices.js';
import type { Services } from '../services.js';
import { contentCaptured, eventSelectList, insertEventsStatement, storedEventMessage, toUsageEventMessage, type UsageEventRow } from './event-columns.js';
import type { UsageEventMessage } from './usage-event.type.js';

/** The pubsub topic one organization's stored events are published on. */
export function usageEventTopic(orgId: string): string {
  return `usage-events:${orgId}`;
}

const INSERT_EVENTS = insertEventsStatement();

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

/**
 * Stores a validated batch in one transaction: new events are inserted (known ids are counted
 * as duplicates, an id repeated within the batch is stored as it first appears), and the keys'
 * `lastUsedAt` and totals grow by the new events only. Returns only after the commit, then
 * publishes the new events to their organizations' subscribers.
 */
export async function storeEventBatch(services: Services, batch: EventBatch): Promise<EventBatchAck> {
  if (batch.events.length === 0) return { accepted: 0, duplicates: 0 };
  const knex = (services.orm.em as EntityManager).getKnex();
  const { inserted, known } = await knex.transaction(async (trx) => {
    const orgIds = [...new Set(batch.events.map((e) => e.orgId))];
    // `now()` is the transaction's start, so it is also every new row's `created_at`.
    const orgs = await trx.raw<{ rows: { id: string; captured: boolean; receivedAt: Date }[] }>(
      `select id, ${contentCaptured('organizations')} as captured, now() as "receivedAt" from organizations
       where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
      [JSON.stringify(orgIds)],
    );
    const captures = new Map(orgs.rows.map((r) => [r.id, r.captured]));
    const known = batch.events.filter((e) => captures.has(e.orgId.toLowerCase())).length;
    const firsts = firstOfEachId(batch.events);
    const result = await trx.raw<{ rows: { id: string }[] }>(INSERT_EVENTS, [JSON.stringify([...firsts.values()])]);
    const receivedAt = orgs.rows[0]?.receivedAt ?? new Date();
    const stored = result.rows.map(({ id }) => {
      const event = firsts.get(id)!;
      return storedEventMessage(event, receivedAt, captures.get(event.orgId.toLowerCase()) ?? false);
    });
    // Tamper evidence, first half: the new rows' canonical bytes, before this transaction takes
    // any lock another batch of the organization waits on (the keys' totals, the chain heads).
    const links = services.config.auditChain.enabled ? prepareLinks(USAGE_CHAIN, stored as unknown as Record<string, unknown>[], services.chainTips) : null;
    const totals = keyTotals(stored);
    if (totals.length > 0) await trx.raw(ADD_KEY_TOTALS, [JSON.stringify(totals)]);
    // Budget spend is authoritative here: only newly inserted events reach the rollups.
    const storedIds = stored.map((event) => event.id);
    await addToSpendRollups(trx, storedIds);
    await addToUsageHourRollups(trx, storedIds);
    await addToPerformanceRollups(trx, stored);
    // Tamper evidence, second half: the new rows join their organizations' hash chains before the
    // commit. A stored event's message carries every stored field under its API name, as the chain
    // hashes it. Last in the transaction: the chain heads stay locked until the commit, and every
    // other batch of the same organization waits for them, so nothing else runs while they are held.
    if (links) await appendPrepared(trx, links, services.chainTips);
    return { inserted: stored, known };
  });
  const skipped = batch.events.length - known;
  if (skipped > 0) {
    services.log.warn({ nodeId: batch.nodeId, skipped }, 'skipped usage events of organizations that do not exist');
  }
  for (const event of inserted) void services.pubSub.publish(usageEventTopic(event.orgId), event);
  services.alerts.schedule(new Set(inserted.filter((event) => event.costMicros > 0).map((event) => event.orgId)));
  await notePoolLimitHits(services, inserted);
  if (inserted.length > 0) await services.clusterBus.announce({ kind: 'events', ids: inserted.map((event) => event.id) });
  await actOnAnomalies(services, inserted);
  return { accepted: inserted.length, duplicates: known - inserted.length };
}

/**
 * Publishes events another control plane stored to this process's subscribers, read back from
 * the table by id, in the order they were stored.
 */
export async function publishStoredEvents(services: Services, ids: readonly string[]): Promise<void> {
  const knex = (services.orm.em as EntityManager).getKnex();
  const { rows } = await knex.raw<{ rows: UsageEventRow[] }>(`select ${eventSelectList()} from usage_events where id = any(?::uuid[])`, [[...ids]]);
  const order = new Map(ids.map((id, index) => [id, index]));
  rows.sort((x, y) => order.get(x.id as string)! - order.get(y.id as string)!);
  for (const row of rows) {
    const event = toUsageEventMessage(row);
    void services.pubSub.publish(usageEventTopic(event.orgId), event);
  }
}

/** The batch's events by id as PostgreSQL prints it (lower case), each id's first occurrence only. */
function firstOfEachId(events: readonly UsageEvent[]): Map<string, UsageEvent> {
  const firsts = new Map<string, UsageEvent>();
  for (const event of events) {
    const id = event.id.toLowerCase();
    if (!firsts.has(id)) firsts.set(id, event);
  }
  return firsts;
}

/** Per-key sums of the new rows, in key order so concurrent batches lock keys in the same order. */
function keyTotals(events: readonly UsageEventMessage[]) {
  const byKey = new Map<
    string,
    {
      key_id: string;
      org_id: string;
      requests: number;
      input_tokens: number;
      output_tokens: number;
      cached_input_tokens: number;
      cost_micros: number;
      last_used_at: string;
    }
  >();
  for (const event of events) {
    const id = `${event.orgId}/${event.keyId}`;
    const started = event.startedAt.toISOString();
    const t = byKey.get(id) ?? {
      key_id: event.keyId,
      org_id: event.orgId,
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cached_input_tokens: 0,
      cost_micros: 0,
      last_used_at: started,
    };
    t.requests += 1;
    t.input_tokens += event.inputTokens;
    t.output_tokens += event.outputTokens;
    t.cached_input_tokens += event.cachedInputTokens;
    t.cost_micros += event.costMicros;
    if (started > t.last_used_at) t.last_used_at = started;
    byKey.set(id, t);
  }
  return [...byKey.values()].sort((a, b) => (a.key_id < b.key_id ? -1 : a.key_id > b.key_id ? 1 : 0));
}
