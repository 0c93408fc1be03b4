import { emptyBaseline, learnMinute, learnRequest, requestOutcome, type AnomalyBaseline, type RequestFacts } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { requestConfigPublish } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { startAloneRounds } from '../workers/alone-rounds.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';
import type { BaselineScope } from './anomaly-baseline.entity.js';

const MINUTE_MS = 60_000;
/** A minute is learned once it ended this long ago, so the events nodes were still shipping are in. */
const SETTLE_MS = 30_000;
/** How far back an organization's first round starts. */
const FIRST_LOOKBACK_MS = 28 * 24 * 3_600_000;
/** Events read per statement; a round reads several, each ending on a whole minute. */
const CHUNK_EVENTS = 20_000;
/** A round stops taking new chunks after this long and leaves the rest to the next one. */
const ROUND_BUDGET_MS = 10_000;

interface EventRow {
  key_id: string;
  team_id: string | null;
  model: string | null;
  endpoint: string;
  tools_offered: string[];
  client_ip_hash: string;
  user_agent_hash: string;
  user_agent_family_hash: string | null;
  input_tokens: string;
  output_tokens: string;
  cost_micros: string;
  status: number;
  decision: string;
  started_at: Date;
}

/** The baselines one chunk of an organization's events moves, keyed `scope:id`. */
type Baselines = Map<string, { scope: BaselineScope; scopeId: string; baseline: AnomalyBaseline }>;

/**
 * Learns anomaly baselines from stored events, one control plane of the database at a time
 * (`runAlone`): every key's own, each team's and each organization's typical key's (the prior a
 * new key is judged by). Each organization is read in whole minutes in event time, from where
 * its last round stopped (`anomaly_baselines.learned_until` of its organization row) up to the
 * last minute that ended `SETTLE_MS` ago; each chunk of events is folded and stored with the
 * new position in one transaction, so a round that dies loses nothing and counts nothing twice.
 * An event that arrives after its minute was learned (a node's spool sent after an outage) is
 * left out. An organization whose baselines moved is republished, so nodes get its keys'
 * baselines in the next config delta.
 */
async function learnBaselines(services: Services, now = Date.now()): Promise<string[]> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const until = Math.floor((now - SETTLE_MS) / MINUTE_MS) * MINUTE_MS;
  const started = Date.now();
  const orgs = await sqlRows<{ id: string; learned_until: Date | null }>(
    em,
    `select o.id, b.learned_until from organizations o
       left join anomaly_baselines b on b.scope = 'organization' and b.scope_id = o.id
      order by o.id`,
  );
  const changed: string[] = [];
  for (const org of orgs) {
    let from = org.learned_until === null ? await firstMinute(em, org.id, now) : new Date(org.learned_until).getTime();
    let events = 0;
    while (from !== null && from < until && Date.now() - started < ROUND_BUDGET_MS) {
      const chunk = await learnChunk(em, org.id, from, until);
      events += chunk.events;
      from = chunk.end;
    }
    if (events > 0) changed.push(org.id);
  }
  for (const orgId of changed) await requestConfigPublish(services, orgId, 'anomaly baselines learned');
  return changed;
}

/** The first minute of an organization's events within the first lookback, or null without any. */
async function firstMinute(em: EntityManager, orgId: string, now: number): Promise<number | null> {
  const [row] = await sqlRows<{ first: Date | null }>(em, 'select min(started_at) as first from usage_events where organization_id = ? and started_at >= ?', [
    orgId,
    new Date(now - FIRST_LOOKBACK_MS),
  ]);
  return row?.first ? Math.floor(new Date(row.first).getTime() / MINUTE_MS) * MINUTE_MS : null;
}

/**
 * Folds the events of `[from, until)` into the organization's baselines, up to `CHUNK_EVENTS`
 * cut back to a whole minute, and stores them with the new position in one transaction.
 */
async function learnChunk(em: EntityManager, orgId: string, from: number, until: number): Promise<{ end: number; events: number }> {
  return em.transactional(async (tx) => {
    const trx = tx as EntityManager;
    let rows = await readEvents(trx, orgId, from, until, CHUNK_EVENTS);
    let end = until;
    if (rows.length === CHUNK_EVENTS) {
      end = Math.floor(new Date(rows.at(-1)!.started_at).getTime() / MINUTE_MS) * MINUTE_MS;
      if (end > from) rows = rows.filter((r) => new Date(r.started_at).getTime() < end);
      // One minute with more events than a chunk is read whole.
      else rows = await readEvents(trx, orgId, from, (end = from + MINUTE_MS), null);
    }
    if (rows.length === 0) {
      await sqlRows(trx, `update anomaly_baselines set learned_until = ? where scope = 'organization' and scope_id = ?`, [new Date(end), orgId]);
      return { end, events: 0 };
    }
    const baselines = await loadBaselines(trx, orgId, rows);
    foldEvents(baselines, orgId, rows);
    await storeBaselines(trx, orgId, baselines, end);
    return { end, events: rows.length };
  });
}

async function readEvents(em: EntityManager, orgId: string, from: number, until: number, limit: number | null): Promise<EventRow[]> {
  return sqlRows<EventRow>(
    em,
    `select key_id, team_id, model, endpoint, tools_offered, client_ip_hash, user_agent_hash, user_agent_family_hash,
            input_tokens, output_tokens, cost_micros, status, decision, started_at
       from usage_events where organization_id = ? and started_at >= ? and started_at < ?
      order by started_at, id ${limit === null ? '' : `limit ${limit}`}`,
    [orgId, new Date(from), new Date(until)],
  );
}

async function loadBaselines(em: EntityManager, orgId: string, rows: readonly EventRow[]): Promise<Baselines> {
  const ids = new Set<string>([orgId]);
  for (const row of rows) {
    ids.add(row.key_id);
    if (row.team_id !== null) ids.add(row.team_id);
  }
  const stored = await sqlRows<{ scope: BaselineScope; scope_id: string; baseline: AnomalyBaseline }>(
    em,
    `select scope, scope_id, baseline from anomaly_baselines where organization_id = ? and scope_id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
    [orgId, JSON.stringify([...ids])],
  );
  const baselines: Baselines = new Map();
  for (const row of stored) baselines.set(`${row.scope}:${row.scope_id}`, { scope: row.scope, scopeId: row.scope_id, baseline: row.baseline });
  return baselines;
}

/** Each request into its key's, team's and organization's baselines; each key's active minutes into the same three. */
function foldEvents(baselines: Baselines, orgId: string, rows: readonly EventRow[]): void {
  const of = (scope: BaselineScope, scopeId: string): AnomalyBaseline => {
    const name = `${scope}:${scopeId}`;
    let entry = baselines.get(name);
    if (entry === undefined) baselines.set(name, (entry = { scope, scopeId, baseline: emptyBaseline() }));
    return entry.baseline;
  };
  const organization = of('organization', orgId);
  const minutes = new Map<string, { at: number; requests: number; costMicros: number; owners: AnomalyBaseline[] }>();
  for (const row of rows) {
    const owners = [of('key', row.key_id), ...(row.team_id === null ? [] : [of('team', row.team_id)]), organization];
    const facts = requestFacts(row);
    for (const owner of owners) learnRequest(owner, facts);
    const minute = Math.floor(facts.at / MINUTE_MS);
    const name = `${row.key_id}:${minute}`;
    let totals = minutes.get(name);
    if (totals === undefined) minutes.set(name, (totals = { at: minute * MINUTE_MS, requests: 0, costMicros: 0, owners }));
    totals.requests += 1;
    totals.costMicros += facts.costMicros;
  }
  for (const totals of minutes.values()) for (const owner of totals.owners) learnMinute(owner, totals);
}

function requestFacts(row: EventRow): RequestFacts {
  return {
    at: new Date(row.started_at).getTime(),
    model: row.model,
    endpoint: row.endpoint,
    tools: row.tools_offered ?? [],
    clientIpHash: row.client_ip_hash,
    userAgentHash: row.user_agent_hash,
    userAgentFamilyHash: row.user_agent_family_hash ?? '',
    promptTokens: Number(row.input_tokens),
    completionTokens: Number(row.output_tokens),
    costMicros: Number(row.cost_micros),
    ...requestOutcome(row.status, row.decision),
  };
}

async function storeBaselines(em: EntityManager, orgId: string, baselines: Baselines, learnedUntil: number): Promise<void> {
  const rows = [...baselines.values()].map((b) => ({ scope: b.scope, scope_id: b.scopeId, baseline: b.baseline }));
  await sqlRows(
    em,
    `insert into anomaly_baselines (id, organization_id, scope, scope_id, baseline, learned_until)
     select gen_random_uuid(), ?, r.scope, r.scope_id, r.baseline, ? from jsonb_to_recordset(?::jsonb) as r(scope text, scope_id uuid, baseline jsonb)
     on conflict (scope, scope_id) do update set baseline = excluded.baseline, learned_until = excluded.learned_until, updated_at = now()`,
    [orgId, new Date(learnedUntil), JSON.stringify(rows)],
  );
}

/** Start-up task: learns now and then every `KEYWARD_ANOMALY_LEARN_MS`; stops after the round in flight. */
export async function startBaselineLearner(services: Services): Promise<StopBackgroundWork> {
  return startAloneRounds(
    services,
    'anomaly-baselines',
    services.config.anomaly.learnIntervalMs,
    () => learnBaselines(services),
    'learning anomaly baselines failed; retrying at the next round',
  );
}
