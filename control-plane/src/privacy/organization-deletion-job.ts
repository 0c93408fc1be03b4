import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { deleteSinkObjects, type SinkObjectsLeft } from '../audit-sinks/sink-objects.js';
import { recordAudit } from '../audit/audit.service.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import { runAlone } from '../db/job-lock.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';

/** How often organizations whose deletion is due are looked for. */
const ROUND_INTERVAL_MS = 15 * 60_000;
/** Rows deleted per statement, each its own short transaction: a large organization never holds long locks. */
const BATCH = 5_000;
/** Passes over the tables before giving up for this round (a table waits for the rows that point at it to go first). */
const MAX_PASSES = 5;
/**
 * How long after its due date an organization waits for its S3 sinks' buckets to be emptied:
 * every round until then tries again (96 rounds a day); after it, deletion goes ahead and the
 * audit entry names the buckets that still hold objects.
 */
const SINK_OBJECTS_RETRY_MS = 24 * 3_600_000;

/** Config versions of deleted organizations before their last (empty) one: they held credentials and policies. */
const PRUNE_DELETED_CONFIGS = `delete from config_versions v where not exists (select 1 from organizations o where o.id = v.org_id)
   and v.version < (select max(w.version) from config_versions w where w.org_id = v.org_id)`;

/** What a round did, and whether it stopped because its budget of statements ran out. */
export interface DeletionRound {
  readonly deleted: string[];
  readonly unfinished: boolean;
}

/**
 * Deletes every row of every organization whose deletion is due: first the objects Keyward
 * wrote into its S3 sinks' buckets (`deleteSinkObjects`; while a bucket cannot be reached the
 * organization waits for the next round, up to `SINK_OBJECTS_RETRY_MS` after its due date),
 * then its rows, table by table in batches,
 * then the organization row itself (its remaining rows follow by their foreign keys' cascades)
 * together with publishing its empty config (so nodes drop what they held of it), prunes its
 * earlier config versions, and writes one audit entry of no organization: actor `system`, action `organizationDeleted`,
 * the organization's id, how many rows went and the sink buckets whose objects could not be
 * deleted — no name, no person. Nothing is remembered
 * between statements but the rows themselves, so a round cut short (a crash, or `budget`
 * statements spent) leaves the organization due, and the next round carries on where it stopped.
 * The tables are every table with an `organization_id` or `org_id` column, so a table added
 * later is covered without a change here.
 */
export async function deleteDueOrganizations(services: Services, budget = Number.POSITIVE_INFINITY): Promise<DeletionRound> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const due = await sqlRows<{ id: string; requestedAt: string; dueAt: string }>(
    em,
    `select id, deletion_requested_at as "requestedAt", deletion_due_at as "dueAt" from organizations where deletion_due_at <= now() order by deletion_due_at`,
  );
  const tables = await sqlRows<{ table: string; column: string }>(
    em,
    `select c.table_name as "table", c.column_name as "column" from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() and c.column_name in ('organization_id', 'org_id') and c.table_name not in ('organizations', 'config_versions')
      order by c.table_name`,
  );
  // Finishes what a round cut short between deleting an organization and pruning its configs.
  await sqlRows(em, PRUNE_DELETED_CONFIGS);
  const deleted: string[] = [];
  let left = budget;
  for (const org of due) {
    const sinkObjectsLeft: SinkObjectsLeft[] = await deleteSinkObjects(services, em, org.id);
    if (sinkObjectsLeft.length > 0) {
      const waiting = new Date(org.dueAt).getTime() + SINK_OBJECTS_RETRY_MS > Date.now();
      services.log.warn({ orgId: org.id, sinkObjectsLeft, waiting }, 'could not delete the objects of an organization in its audit sinks');
      if (waiting) continue;
    }
    let rows = 0;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let blocked = false;
      for (const { table, column } of tables) {
        for (;;) {
          if (left-- <= 0) return { deleted, unfinished: true };
          let touched: number;
          try {
            touched = (
              await sqlRows(
                em,
                `delete from "${table}" where "${column}" = ? and ctid = any(array(select ctid from "${table}" where "${column}" = ? limit ${BATCH})) returning 1`,
                [org.id, org.id],
              )
            ).length;
          } catch {
            // Rows of another table still point at these; a later pass deletes them after those.
            blocked = true;
            break;
          }
          rows += touched;
          if (touched < BATCH) break;
        }
      }
      if (!blocked) break;
    }
    if (left-- <= 0) return { deleted, unfinished: true };
    // The organization goes with its empty config in one transaction: nodes drop its credentials, policies and routes.
    const gone = await applyConfigChange(services, em, org.id, 'organization deleted', async (tx) => {
      const rows = await sqlRows(tx, 'delete from organizations where id = ? and deletion_due_at <= now() returning id', [org.id]);
      return rows.length > 0;
    });
    if (!gone) continue;
    await sqlRows(em, PRUNE_DELETED_CONFIGS);
    await recordAudit(services, {
      orgId: null,
      actor: 'system',
      action: 'organizationDeleted',
      targetId: org.id,
      outcome: 'success',
      errorCode: null,
      args: { requestedAt: new Date(org.requestedAt).toISOString(), dueAt: new Date(org.dueAt).toISOString(), rowsDeleted: rows + 1, sinkObjectsLeft },
      ip: '',
      userAgent: 'keyward organization deletion',
      requestId: randomUUID(),
    });
    deleted.push(org.id);
  }
  return { deleted, unfinished: false };
}

/**
 * Start-up task: deletes due organizations now, then every 15 minutes until the control plane
 * closes. Of several control planes on one database, one works at a time (`runAlone`); a round
 * that dies with its control plane is taken over by the next round anywhere.
 */
export async function startOrganizationDeletionJob(services: Services): Promise<StopBackgroundWork> {
  let running: Promise<void> = Promise.resolve();
  const round = () => {
    running = runAlone(services.orm, 'organization-deletion', () => deleteDueOrganizations(services)).then(
      (done) => {
        if (done && done.deleted.length > 0) services.log.info({ organizations: done.deleted }, 'deleted organizations whose grace period ended');
      },
      (error: unknown) => services.log.error({ err: error }, 'organization deletion round failed; retrying in 15 minutes'),
    );
  };
  round();
  const timer = setInterval(round, ROUND_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
