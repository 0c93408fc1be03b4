import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import { signCheckpoint } from '../audit-chain/checkpoints.js';
import { sqlRows } from '../config-publish/sql.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../organizations/organization.entity.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';

/** How often old events are looked for. */
const SWEEP_INTERVAL_MS = 3_600_000;
/** Rows deleted per statement, so a first sweep over years of events never holds long locks. */
const BATCH = 5_000;
/** The oldest moment kept for the organization joined as `o`: `settings.retentionDays` before now, or `fallbackDays`. */
const cutoff = (fallbackDays: number) => `now() - make_interval(days => coalesce((o.settings ->> 'retentionDays')::int, ${fallbackDays}))`;

/**
 * How far retention may delete one organization's chain of `kind` (`audit-chain/`): up to its
 * latest signed checkpoint before the first row still kept, so what remains is a suffix of the
 * chain that verifies from that checkpoint. Rows expired after it wait for the next checkpoint.
 */
const chainBounds = (table: string, kind: string, time: string, fallbackDays: number) => `
with bounds as (
  select o.id as org, (select max(c.seq) from audit_checkpoints c
     where c.organization_id = o.id and c.kind = '${kind}'
       and c.seq < coalesce((select min(k.chain_seq) from ${table} k
                              where k.organization_id = o.id and k.chain_seq is not null and k.${time} >= ${cutoff(fallbackDays)}),
                            9223372036854775807)) as upto
  from organizations o)`;

/** Chained rows go a prefix at a time, oldest position first; rows outside any chain by age alone. */
const DELETE_USAGE_EVENTS = `${chainBounds('usage_events', 'usage', 'started_at', DEFAULT_ORGANIZATION_SETTINGS.retentionDays)}
delete from usage_events where id in (
  select e.id from usage_events e join organizations o on o.id = e.organization_id join bounds b on b.org = o.id
   where e.started_at < ${cutoff(DEFAULT_ORGANIZATION_SETTINGS.retentionDays)} and (e.chain_seq is null or e.chain_seq <= b.upto)
   order by e.chain_seq nulls first
   limit ${BATCH})`;

/**
 * The same rule the audit trail's append-only trigger applies (365 days for rows of no
 * organization), so the trigger lets exactly these rows go; chained rows also wait for a checkpoint.
 */
const DELETE_AUDIT_ENTRIES = `${chainBounds('audit_entries', 'audit', 'created_at', 365)}
delete from audit_entries where id in (
  select a.id from audit_entries a left join organizations o on o.id = a.organization_id left join bounds b on b.org = o.id
   where a.created_at < ${cutoff(365)} and (a.chain_seq is null or a.chain_seq <= b.upto)
   order by a.chain_seq nulls first
   limit ${BATCH})`;

/**
 * Per organization, the last position of each chain that retention may delete (the row before
 * the first one still kept, or the head when none is) with that row's hash, where no checkpoint
 * marks it yet.
 */
const unmarkedBoundaries = (table: string, kind: string, time: string, fallbackDays: number) => `
select o.id as "orgId", '${kind}' as kind, r.chain_seq as seq, r.chain_hash as hash
  from organizations o
  cross join lateral (select coalesce(
      (select min(k.chain_seq) from ${table} k where k.organization_id = o.id and k.chain_seq is not null and k.${time} >= ${cutoff(fallbackDays)}),
      (select h.seq + 1 from audit_chain_heads h where h.organization_id = o.id and h.kind = '${kind}')) - 1 as seq) b
  join ${table} r on r.organization_id = o.id and r.chain_seq = b.seq
 where not exists (select 1 from audit_checkpoints c where c.organization_id = o.id and c.kind = '${kind}' and c.seq = b.seq)`;

const BOUNDARIES = [
  unmarkedBoundaries('usage_events', 'usage', 'started_at', DEFAULT_ORGANIZATION_SETTINGS.retentionDays),
  unmarkedBoundaries('audit_entries', 'audit', 'created_at', 365),
];

/** What one sweep deleted. */
export interface RetentionSweep {
  readonly usageEvents: number;
  readonly auditEntries: number;
}

/**
 * Deletes request events (`usage_events`) and admin-log entries (`audit_entries`) older than
 * their organization's `retentionDays`. Chained rows go a prefix at a time, each ending at a
 * signed checkpoint (signed here first when none marks the boundary), so what remains of every
 * chain verifies from that checkpoint. Spend, budgets, usage charts and statements read the
 * spend rollups, not the events, so they keep their figures.
 */
export async function sweepExpiredEvents(services: Services): Promise<RetentionSweep> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  for (const statement of BOUNDARIES) {
    for (const at of await sqlRows<{ orgId: string; kind: ChainKindName; seq: string; hash: string }>(em, statement)) {
      await signCheckpoint(services, em, { ...at, seq: Number(at.seq) });
    }
  }
  return { usageEvents: await deleteInBatches(em, DELETE_USAGE_EVENTS), auditEntries: await deleteInBatches(em, DELETE_AUDIT_ENTRIES) };
}

async function deleteInBatches(em: EntityManager, statement: string): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = (await sqlRows(em, `${statement} returning 1`)).length;
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

/** Start-up task: sweeps now, then every hour until the control plane closes. */
export async function startRetentionSweeper(services: Services): Promise<StopBackgroundWork> {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = sweepExpiredEvents(services).then(
      (swept) => {
        if (swept.usageEvents + swept.auditEntries > 0) services.log.info(swept, 'deleted events older than their retention');
      },
      (error: unknown) => services.log.error({ err: error }, 'event retention sweep failed; retrying in an hour'),
    );
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
