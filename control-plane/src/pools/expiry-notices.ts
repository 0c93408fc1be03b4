import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import type { Services } from '../services.js';
import { RoundLoop } from '../workers/round-loop.js';
import { poolKeyEventOfRow, RECIPIENT_COLUMNS, recordPoolKeyEvent, type RecipientRow } from './pool-key-events.js';

/** Longest sleep between rounds: also picks up expiries another control plane's changes brought closer. */
const MAX_SLEEP_MS = 60_000;
/** Expiries reported per round. */
const BATCH = 200;
/** How soon to try again after a failed round. */
const RETRY_MS = 5_000;

/** When a recipient's key stops working: its own expiry or its pool's, whichever comes first (`least` skips nulls). */
const EXPIRY = 'least(k.expires_at, p.expires_at)';
const NOT_REVOKED = "k.status <> 'revoked'";

/**
 * Claims the expiries due and not yet reported, one `pool_key_notices` row per key and expiry
 * time (a key extended and expiring again is reported again), and returns them: claiming and
 * reading in one statement, so two control planes never report the same expiry.
 */
const CLAIM_DUE = `
with due as (
  select ${RECIPIENT_COLUMNS}, to_char(${EXPIRY} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as expired_at
    from pool_recipients r join keys k on k.id = r.key_id join key_pools p on p.id = r.pool_id
   where ${NOT_REVOKED} and ${EXPIRY} <= now()
     and not exists (select 1 from pool_key_notices n where n.key_id = r.key_id and n.kind = 'expired'
                      and n.period_key = to_char(${EXPIRY} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
   order by ${EXPIRY} limit ${BATCH}
), claimed as (
  insert into pool_key_notices (id, created_at, updated_at, organization_id, key_id, kind, period_key)
  select gen_random_uuid(), now(), now(), organization_id, key_id, 'expired', expired_at from due
  on conflict (key_id, kind, period_key) do nothing returning key_id
)
select due.* from due join claimed using (key_id)`;

interface DueRow extends RecipientRow {
  readonly expired_at: string;
}

/**
 * Reports every expiry of a pool recipient's key (its own, or its pool's) once, as an audit record
 * and a `pool_key.expired` notification. Sleeps until the next expiry (at most a minute); changes
 * that bring one closer (a pool expired now, new keys) wake it. On start it reports what expired
 * while the control plane was down.
 */
export class PoolExpiryNotices {
  private readonly loop = new RoundLoop(() => this.round());

  constructor(private readonly services: Services) {}

  /** Reports what is due now, then keeps reporting as keys expire. */
  start(): void {
    this.wake();
  }

  /** Looks now (after a change that may have made keys expire sooner). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops after the round in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async round(): Promise<number> {
    try {
      const em = this.services.orm.em.fork({ clear: true }) as EntityManager;
      for (;;) {
        const due = await sqlRows<DueRow>(em, CLAIM_DUE);
        for (const row of due) await this.report(row);
        if (due.length < BATCH || this.loop.isStopped) break;
      }
      const [next] = await sqlRows<{ ms: number | null }>(
        em,
        `select extract(epoch from min(${EXPIRY}) - now()) * 1000 as ms
           from pool_recipients r join keys k on k.id = r.key_id join key_pools p on p.id = r.pool_id
          where ${NOT_REVOKED} and ${EXPIRY} > now()`,
      );
      return Math.min(MAX_SLEEP_MS, next?.ms === null || next?.ms === undefined ? MAX_SLEEP_MS : Math.ceil(Number(next.ms)) + 10);
    } catch (err) {
      this.services.log.error({ err }, 'could not report expired pool keys; retrying soon');
      return RETRY_MS;
    }
  }

  private report(row: DueRow): Promise<void> {
    return recordPoolKeyEvent(this.services, poolKeyEventOfRow('expired', row, { expiredAt: row.expired_at }), {
      actor: 'keyward',
      from: null,
      userAgent: '',
      requestId: '',
    });
  }
}

/** Start-up task: reports expiries that came due while the control plane was down, then keeps watching. */
export async function startPoolExpiryNotices(services: Services): Promise<() => Promise<void>> {
  services.poolExpiry.start();
  return () => services.poolExpiry.stop();
}
