/**
 * Notification events an organization can subscribe a webhook to. Approvals send the first two;
 * budgets send `budget.threshold` when settled spend crosses one of a budget's alert thresholds;
 * key pools send `pool_key.*` for what happens to a recipient's key (limit hits and expiries once
 * per key and period); anomaly actions send `anomaly.detected` when a key's request sets off
 * notify, hold or freeze.
 */
export const WEBHOOK_EVENTS = [
  'approval.requested',
  'approval.decided',
  'budget.threshold',
  'pool_key.revealed',
  'pool_key.link_resent',
  'pool_key.rotated',
  'pool_key.revoked',
  'pool_key.expired',
  'pool_key.limit_hit',
  'anomaly.detected',
] as const;

/** One notification event name. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Whether a string names a known event. */
export function isWebhookEvent(value: string): value is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly string[]).includes(value);
}
