import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import { runAlone } from '../db/job-lock.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { settleApproval } from './approval-decide.js';

/** Longest sleep: also picks up requests stored by another control-plane instance. */
const MAX_SLEEP_MS = 30_000;
/** Expiries handled per round. */
const BATCH = 200;
/** How soon to look again when another control plane is sweeping. */
const BUSY_RETRY_MS = 1_000;

/**
 * Marks pending approvals `expired` at their `expiresAt`, so the node holding each one hears
 * the decision at once and the queue and notifications show it. Sleeps until the earliest
 * pending expiry (new requests shorten the sleep through `noteExpiry`). On start it expires
 * whatever came due while the control plane was down. Times are compared with this process's
 * clock, the one its timer runs on, so a skewed database clock cannot make it spin. Of several
 * control planes on one database, one sweeps at a time (`runAlone`); every one hears of new
 * requests (`publishApprovalChange`), so whichever is left expires them on time.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly services: Services) {}

  /** Sweeps now, then keeps sweeping as requests come due. */
  start(): void {
    this.run();
  }

  /** A request expiring at `at` was stored: wake up for it if that is sooner than planned. */
  noteExpiry(at: Date): void {
    if (this.stopped || at.getTime() >= this.wakeAt) return;
    this.schedule(at.getTime() - Date.now());
  }

  /** Stops after the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.run();
      }
    });
  }

  private async sweep(): Promise<void> {
    try {
      const swept = await runAlone(this.services.orm, 'approval-expiry', async () => {
        for (;;) {
          const due = await this.due();
          for (const row of due) await this.expire(row.id, row.organization_id);
          if (due.length < BATCH || this.stopped) return true;
        }
      });
      if (swept === null) this.schedule(BUSY_RETRY_MS);
      else this.schedule((await this.nextExpiry()) - Date.now());
    } catch (error) {
      this.services.log.error({ err: error }, 'approval expiry sweep failed; retrying soon');
      this.schedule(5_000);
    }
  }

  private async expire(id: string, orgId: string): Promise<void> {
    try {
      await settleApproval(this.services, orgId, id, { decision: 'expired', actor: null, reason: null });
      this.services.log.info({ approvalId: id, orgId }, 'approval request expired');
    } catch (error) {
      // Decided (or reported on by its node) between the query and the lock: nothing to expire.
      if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(ms, MAX_SLEEP_MS));
    this.wakeAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.run();
    }, delay);
    this.timer.unref();
  }

  private em(): EntityManager {
    return this.services.orm.em.fork({ clear: true }) as EntityManager;
  }

  private due(): Promise<{ id: string; organization_id: string }[]> {
    return sqlRows(this.em(), `select id, organization_id from approval_requests where status = 'pending' and expires_at <= ? order by expires_at limit ?`, [
      new Date(),
      BATCH,
    ]);
  }

  private async nextExpiry(): Promise<number> {
    const [row] = await sqlRows<{ at: Date | null }>(this.em(), `select min(expires_at) as at from approval_requests where status = 'pending'`);
    return row?.at ? new Date(row.at).getTime() : Number.POSITIVE_INFINITY;
  }
}

/** Start-up task: starts the sweeper (expiring what came due while stopped) and returns how to stop it. */
export async function startExpirySweeper(services: Services): Promise<() => Promise<void>> {
  const sweeper = services.expirySweeper;
  sweeper.start();
  return () => sweeper.stop();
}
