import type { AnomalyReason } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.service.js';
import { requestConfigPublish } from '../config-publish/publish.js';
import { sqlRows } from '../config-publish/sql.js';
import type { UsageEventMessage } from '../events/usage-event.type.js';
import type { Services } from '../services.js';
import { notifyOrEmail } from '../webhooks/notify.js';

/** The actor audit entries of automatic freezes and holds name. */
const ANOMALY_ACTOR = 'anomaly scoring';
/** A key's anomalies notify people at most once in this long (a runaway loop scores high on every call). */
const NOTIFY_EVERY_MS = 15 * 60_000;

/** The columns a stop sets on the key, by action. */
const STOPS = {
  freeze: { at: 'frozen_at', reason: 'frozen_reason', audit: 'freezeKey', what: 'frozen' },
  hold: { at: 'held_at', reason: 'held_reason', audit: 'holdKey', what: 'held for approval' },
} as const;

interface StoppedKey {
  id: string;
  name: string;
  prefix: string;
}

/**
 * What the control plane does with the anomalies in a batch of newly stored events: a `freeze`
 * or `hold` the node already applied to itself is stored on the key (unless a person released
 * the key after the request), written to the audit trail as done by anomaly scoring, and
 * published, so every node stops the key; `notify`, `freeze` and `hold` notify the organization's
 * webhooks and Slack subscribed to `anomaly.detected` (else its owners and admins by email), at
 * most once per key in fifteen minutes. Failures are logged: the events are stored whatever
 * happens here.
 */
export async function actOnAnomalies(services: Services, events: readonly UsageEventMessage[]): Promise<void> {
  const acted = events.filter((e) => e.anomalyAction === 'freeze' || e.anomalyAction === 'hold' || e.anomalyAction === 'notify');
  if (acted.length === 0) return;
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const republish = new Set<string>();
  for (const event of acted) {
    try {
      const action = event.anomalyAction as 'freeze' | 'hold' | 'notify';
      const reason = reasonText(event);
      if (action !== 'notify') {
        const stop = STOPS[action];
        const [key] = await sqlRows<StoppedKey>(
          em,
          `update keys set ${stop.at} = ?, ${stop.reason} = ?, updated_at = now()
            where id = ? and organization_id = ? and status = 'active' and ${stop.at} is null and (released_at is null or released_at < ?)
          returning id, name, prefix`,
          [event.startedAt, reason, event.keyId, event.orgId, event.startedAt],
        );
        if (key === undefined) continue;
        republish.add(event.orgId);
        await recordAudit(services, {
          orgId: event.orgId,
          actor: ANOMALY_ACTOR,
          action: stop.audit,
          targetId: key.id,
          outcome: 'success',
          errorCode: null,
          args: { keyId: key.id, eventId: event.id, score: event.anomalyScore, reasons: event.anomalyReasons.map((r) => r.code), nodeId: event.nodeId },
          ip: '',
          userAgent: `node ${event.nodeId}`.slice(0, 300),
          requestId: event.requestId,
        });
      }
      await notifyOnce(services, em, event, action, reason);
    } catch (error) {
      services.log.error({ err: error, eventId: event.id, keyId: event.keyId }, 'could not act on an anomalous request');
    }
  }
  for (const orgId of republish) {
    try {
      await requestConfigPublish(services, orgId, 'key stopped after an anomaly');
    } catch (error) {
      services.log.error({ err: error, orgId }, 'could not publish a key stopped after an anomaly');
    }
  }
}

async function notifyOnce(services: Services, em: EntityManager, event: UsageEventMessage, action: string, reason: string): Promise<void> {
  const [key] = await sqlRows<StoppedKey>(
    em,
    `update keys set anomaly_notified_at = now() where id = ? and organization_id = ? and (anomaly_notified_at is null or anomaly_notified_at < ?)
     returning id, name, prefix`,
    [event.keyId, event.orgId, new Date(Date.now() - NOTIFY_EVERY_MS)],
  );
  if (key === undefined) return;
  const done =
    action === 'freeze'
      ? 'The key is frozen until a person unfreezes it.'
      : action === 'hold'
        ? "The key's requests are held for approval until a person releases it."
        : '';
  await notifyOrEmail(
    services,
    em,
    event.orgId,
    'anomaly.detected',
    {
      key: { id: key.id, name: key.name, prefix: key.prefix },
      action,
      score: event.anomalyScore,
      reasons: event.anomalyReasons,
      eventId: event.id,
      requestId: event.requestId,
      nodeId: event.nodeId,
      at: event.startedAt,
    },
    {
      subject: `Unusual activity on key ${key.name} (${key.prefix}): score ${event.anomalyScore}`,
      text: [
        `Key ${key.name} (${key.prefix}) scored ${event.anomalyScore} at ${new Date(event.startedAt).toISOString()}: ${reason}.`,
        done,
        `Open ${services.config.publicUrl} to review it.`,
      ]
        .filter(Boolean)
        .join('\n'),
    },
  );
}

function reasonText(event: UsageEventMessage): string {
  return `anomaly score ${event.anomalyScore}: ${(event.anomalyReasons as readonly AnomalyReason[]).map((r) => r.message).join('; ')}`.slice(0, 2_000);
}
