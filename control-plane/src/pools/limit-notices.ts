import type { BudgetPeriod } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { periodDays } from '../budgets/periods.js';
import { sqlRows } from '../config-publish/sql.js';
import type { UsageEventMessage } from '../events/usage-event.type.js';
import type { Services } from '../services.js';
import { poolKeyEventOfRow, RECIPIENT_COLUMNS, recordPoolKeyEvent, type RecipientRow } from './pool-key-events.js';
import { orgTimeZone } from './pool-views.js';

/** The refusals reported, and the period each is reported once in: a budget's own period, or the hour for rate limits. */
const LIMIT_DECISIONS = {
  budget_exceeded: { limit: 'budget', periodKind: 'budget period' },
  rate_limited: { limit: 'rate limit', periodKind: 'hour' },
} as const;

type LimitDecision = keyof typeof LIMIT_DECISIONS;

interface LimitedRow extends RecipientRow {
  readonly period: BudgetPeriod;
}

/**
 * Reports limit refusals of pool recipients' keys among newly stored events: the first refusal of
 * each kind per key and period becomes an audit record and a `pool_key.limit_hit` notification;
 * the rest of a loop of refused calls is already in the events. The period's row in
 * `pool_key_notices` is claimed first, so concurrent batches and control planes report it once.
 * Called by event ingestion after its commit; a failure is logged, never raised (the events are stored).
 */
export async function notePoolLimitHits(services: Services, events: readonly UsageEventMessage[]): Promise<void> {
  const refused = events.filter((e) => e.decision in LIMIT_DECISIONS);
  if (refused.length === 0) return;
  try {
    const em = services.orm.em.fork({ clear: true }) as EntityManager;
    const rows = await sqlRows<LimitedRow>(
      em,
      `select ${RECIPIENT_COLUMNS}, coalesce(b.period, p.budget_period) as period
         from pool_recipients r join key_pools p on p.id = r.pool_id join keys k on k.id = r.key_id
         left join budgets b on b.id = r.budget_id
        where r.key_id = any(?::uuid[])`,
      [[...new Set(refused.map((e) => e.keyId))]],
    );
    const byKey = new Map(rows.map((r) => [r.key_id, r]));
    const zones = new Map<string, string>();
    for (const event of refused) {
      const recipient = byKey.get(event.keyId);
      if (!recipient || recipient.organization_id !== event.orgId) continue;
      const decision = event.decision as LimitDecision;
      if (!zones.has(event.orgId)) zones.set(event.orgId, await orgTimeZone(em, event.orgId));
      const period =
        decision === 'rate_limited' ? event.startedAt.toISOString().slice(0, 13) : periodDays(recipient.period, event.startedAt, zones.get(event.orgId)!).key;
      const claimed = await sqlRows(
        em,
        `insert into pool_key_notices (id, created_at, updated_at, organization_id, key_id, kind, period_key)
         values (gen_random_uuid(), now(), now(), ?, ?, ?, ?) on conflict (key_id, kind, period_key) do nothing returning id`,
        [event.orgId, event.keyId, decision, period],
      );
      if (claimed.length === 0) continue;
      await recordPoolKeyEvent(
        services,
        poolKeyEventOfRow('limit_hit', recipient, { ...LIMIT_DECISIONS[decision], refusal: event.errorCode ?? decision, period, model: event.model }),
        { actor: `node:${event.nodeId}`, from: { ipHash: event.clientIpHash }, userAgent: '', requestId: event.requestId },
      );
    }
  } catch (err) {
    services.log.error({ err }, 'could not report limit hits of pool keys');
  }
}
