import { USAGE_EVENT_FIELDS, type EventFieldSpec } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import { signCheckpoint } from '../audit-chain/checkpoints.js';
import { sqlRows } from '../config-publish/sql.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../organizations/organization.entity.js';
import { clampRetentionToPlans } from '../organizations/retention-periods.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';
import { runAlone } from '../db/job-lock.js';
import { MINUTE_ROLLUP_HOURS } from '../performance/rollup-rows.js';

/** How often old events are looked for. */
const SWEEP_INTERVAL_MS = 3_600_000;
/** Rows deleted or cleared per statement, each its own short transaction: a first sweep over years of events never holds long locks. */
const BATCH = 5_000;

/**
 * SQL: the days the organization joined as `o` keeps the setting `key` (null: forever), or
 * `fallbackDays` when its settings lack the key (organizations older than the setting).
 */
const keptDays = (key: 'retentionDays' | 'contentRetentionDays', fallbackDays: number) =>
  `case when o.settings -> '${key}' is null then ${fallbackDays} else (o.settings ->> '${key}')::int end`;

/** SQL: the oldest moment kept for the organization `o`, null when it keeps rows forever (every comparison with it fails). */
const cutoff = (fallbackDays: number) => `now() - make_interval(days => ${keptDays('retentionDays', fallbackDays)})`;

/**
 * SQL: the oldest moment whose content is kept: the content period, or the event period when
 * that is shorter (`least` skips a null, which is forever).
 */
const contentCutoff = `now() - make_interval(days => least(${keptDays('contentRetentionDays', DEFAULT_ORGANIZATION_SETTINGS.contentRetentionDays)}, ${keptDays('retentionDays', DEFAULT_ORGANIZATION_SETTINGS.retentionDays)}))`;

/** The first position of each organization's chain of `kind` whose row is still kept. */
const firstKept = (table: string, kind: string, time: string, fallbackDays: number) => `
(select min(l.seq) from audit_chain_links l join ${table} k on k.id = l.row_id
  where l.organization_id = o.id and l.kind = '${kind}' and k.${time} >= ${cutoff(fallbackDays)})`;

/** Organizations that keep rows for a number of days (the others keep every row of their chains). */
const limited = (fallbackDays: number) => `${keptDays('retentionDays', fallbackDays)} is not null`;

/**
 * Chained rows go with their links, a prefix of the chain at a time in chain order, up to the
 * latest signed checkpoint before the first row still kept: what remains verifies from it.
 * `bounds` is materialized: inlined, PostgreSQL re-ran its per-organization subquery for every
 * link it joined, and a sweep over 20,000 events ran for minutes instead of under a second.
 */
const deleteChainPrefix = (table: string, kind: string, time: string, fallbackDays: number) => `
with bounds as materialized (
  select o.id as org, (select max(c.seq) from audit_checkpoints c where c.organization_id = o.id and c.kind = '${kind}'
     and c.seq < coalesce(${firstKept(table, kind, time, fallbackDays)}, 9223372036854775807)) as upto
  from organizations o where ${limited(fallbackDays)}),
doomed as (
  select l.organization_id, l.seq, l.row_id from audit_chain_links l join bounds b on b.org = l.organization_id
   where l.kind = '${kind}' and l.seq <= b.upto order by l.organization_id, l.seq limit ${BATCH}),
unlinked as (
  delete from audit_chain_links l using doomed d where l.organization_id = d.organization_id and l.kind = '${kind}' and l.seq = d.seq returning 1)
delete from ${table} where id in (select row_id from doomed)`;

/** Rows outside any chain (written around it, or while chaining was off) go by age alone. */
const unlinkedExpired = (alias: string) => `not exists (select 1 from audit_chain_links l where l.row_id = ${alias}.id)`;

const DELETE_USAGE_EVENTS = [
  deleteChainPrefix('usage_events', 'usage', 'started_at', DEFAULT_ORGANIZATION_SETTINGS.retentionDays),
  `delete from usage_events where id in (
     select e.id from usage_events e join organizations o on o.id = e.organization_id
      where e.started_at < ${cutoff(DEFAULT_ORGANIZATION_SETTINGS.retentionDays)} and ${unlinkedExpired('e')}
      limit ${BATCH})`,
];

/**
 * The same rule the audit trail's append-only trigger applies (365 days for rows of no
 * organization), so the trigger lets exactly these rows go; chained rows also wait for a checkpoint.
 */
const DELETE_AUDIT_ENTRIES = [
  deleteChainPrefix('audit_entries', 'audit', 'created_at', 365),
  `delete from audit_entries where id in (
     select a.id from audit_entries a left join organizations o on o.id = a.organization_id
      where a.created_at < ${cutoff(365)} and ${unlinkedExpired('a')}
      limit ${BATCH})`,
];

const CONTENT_COLUMNS = (USAGE_EVENT_FIELDS as readonly EventFieldSpec[]).filter((field) => field.content).map((field) => field.column);

/**
 * Clears the content of events older than their organization's content period, marking each
 * row (`content_purged_at`) so a reader tells retention from tampering. Rows linked in format 1
 * (content inside the hash) keep theirs until the whole row goes; rows in format 2 still verify
 * by the digest their link holds. `content is not null` is the partial index's predicate.
 */
const PURGE_CONTENT = `
update usage_events set ${CONTENT_COLUMNS.map((column) => `${column} = null`).join(', ')}, content_purged_at = now()
 where id in (
   select e.id from usage_events e join organizations o on o.id = e.organization_id
    where (${CONTENT_COLUMNS.map((column) => `e.${column} is not null`).join(' or ')}) and e.started_at < ${contentCutoff}
      and not exists (select 1 from audit_chain_links l where l.row_id = e.id and l.format = 1)
    order by e.started_at limit ${BATCH})`;

/**
 * Per organization, the last position of each chain that retention may delete (the one before
 * the first row still kept, or the head when none is) with its hash, where no checkpoint marks
 * it yet.
 */
const unmarkedBoundaries = (table: string, kind: string, time: string, fallbackDays: number) => `
select o.id as "orgId", '${kind}' as kind, r.seq, r.hash
  from organizations o
  cross join lateral (select coalesce(${firstKept(table, kind, time, fallbackDays)},
      (select h.seq + 1 from audit_chain_heads h where h.organization_id = o.id and h.kind = '${kind}')) - 1 as seq) b
  join audit_chain_links r on r.organization_id = o.id and r.kind = '${kind}' and r.seq = b.seq
 where ${limited(fallbackDays)}
   and not exists (select 1 from audit_checkpoints c where c.organization_id = o.id and c.kind = '${kind}' and c.seq = b.seq)`;

const BOUNDARIES = [
  unmarkedBoundaries('usage_events', 'usage', 'started_at', DEFAULT_ORGANIZATION_SETTINGS.retentionDays),
  unmarkedBoundaries('audit_entries', 'audit', 'created_at', 365),
];

/** Minute performance rollups past the hours they serve (the hourly rollups keep the figures). */
const DELETE_OLD_MINUTE_ROLLUPS = `delete from performance_minute_rollups where id in (
  select id from performance_minute_rollups where minute < now() - interval '${MINUTE_ROLLUP_HOURS} hours' limit ${BATCH})`;

/** What one sweep deleted or cleared. */
interface RetentionSweep {
  readonly usageEvents: number;
  readonly auditEntries: number;
  /** Events whose content was cleared (the events stay). */
  readonly contentPurged: number;
  readonly minuteRollups: number;
}

/**
 * Applies each organization's retention: request events (`usage_events`) and admin-log entries
 * (`audit_entries`) older than its event period are deleted, and the content of younger events
 * older than its content period is cleared. Periods fixed by a plan are written to the
 * organizations first (`clampRetentionToPlans`). Chained rows go a prefix at a time, each ending
 * at a signed checkpoint (signed here first when none marks the boundary), so what remains of
 * every chain verifies from that checkpoint. Spend, budgets, usage charts and statements read
 * the spend rollups, not the events, so they keep their figures. Minute performance rollups older
 * than `MINUTE_ROLLUP_HOURS` go too.
 */
export async function sweepExpiredEvents(services: Services): Promise<RetentionSweep> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  await clampRetentionToPlans(services.config.edition, em);
  for (const statement of BOUNDARIES) {
    for (const at of await sqlRows<{ orgId: string; kind: ChainKindName; seq: string; hash: string }>(em, statement)) {
      await signCheckpoint(services, em, { ...at, seq: Number(at.seq) });
    }
  }
  let usageEvents = 0;
  let auditEntries = 0;
  for (const statement of DELETE_USAGE_EVENTS) usageEvents += await inBatches(em, statement);
  for (const statement of DELETE_AUDIT_ENTRIES) auditEntries += await inBatches(em, statement);
  const contentPurged = await inBatches(em, PURGE_CONTENT);
  const minuteRollups = await inBatches(em, DELETE_OLD_MINUTE_ROLLUPS);
  return { usageEvents, auditEntries, contentPurged, minuteRollups };
}

/** Runs a statement that touches at most `BATCH` rows until one touches fewer; returns how many it touched. */
async function inBatches(em: EntityManager, statement: string): Promise<number> {
  let total = 0;
  for (;;) {
    const touched = (await sqlRows(em, `${statement} returning 1`)).length;
    total += touched;
    if (touched < BATCH) return total;
  }
}

/**
 * Start-up task: sweeps now, then every hour until the control plane closes. Of several control
 * planes on one database, one sweeps at a time (`runAlone`); the others skip that hour's round.
 */
export async function startRetentionSweeper(services: Services): Promise<StopBackgroundWork> {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = runAlone(services.orm, 'retention', () => sweepExpiredEvents(services)).then(
      (swept) => {
        if (swept && swept.usageEvents + swept.auditEntries + swept.contentPurged > 0) services.log.info(swept, 'applied event and content retention');
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
