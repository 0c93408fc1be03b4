import type { EntityManager } from '@mikro-orm/postgresql';
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

const DELETE_USAGE_EVENTS = `
delete from usage_events where id in (
  select e.id from usage_events e join organizations o on o.id = e.organization_id
   where e.started_at < ${cutoff(DEFAULT_ORGANIZATION_SETTINGS.retentionDays)}
   limit ${BATCH})`;

/**
 * The same rule the audit trail's append-only trigger applies (365 days for rows of no
 * organization), so the trigger lets exactly these rows go.
 */
const DELETE_AUDIT_ENTRIES = `
delete from audit_entries where id in (
  select a.id from audit_entries a left join organizations o on o.id = a.organization_id
   where a.created_at < ${cutoff(365)}
   limit ${BATCH})`;

/** What one sweep deleted. */
interface RetentionSweep {
  readonly usageEvents: number;
  readonly auditEntries: number;
}

/**
 * Deletes request events (`usage_events`) and admin-log entries (`audit_entries`) older than
 * their organization's `retentionDays`. Spend, budgets, usage charts and statements read the
 * spend rollups, not the events, so they keep their figures.
 */
async function sweepExpiredEvents(em: EntityManager): Promise<RetentionSweep> {
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
    running = sweepExpiredEvents(services.orm.em.fork({ clear: true }) as EntityManager).then(
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
