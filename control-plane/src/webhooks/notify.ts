import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../config-publish/sql.js';
import type { Services } from '../services.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import type { WebhookEvent } from './webhook-events.js';
import { Webhook } from './webhook.entity.js';

/** Options of a notification. */
export interface NotifyOptions {
  /** What the event is about (an approval id), so its deliveries can be found and linked to it. */
  readonly subjectId?: string | null;
}

/**
 * Queues one delivery of `event` to every webhook and Slack integration of the organization
 * subscribed to it, inside the caller's transaction: the notification is stored if and only if
 * the change it reports is. Call `wakeDeliveries` after the commit. Returns how many were queued.
 * `payload` must be JSON-serializable and hold no secret (it is stored and shown in delivery lists).
 */
export async function enqueueNotifications(
  em: EntityManager,
  orgId: string,
  event: WebhookEvent,
  payload: Record<string, unknown>,
  options: NotifyOptions = {},
): Promise<number> {
  const webhooks = await em.find(Webhook, { organization: orgId }, { filters: { tenant: false }, orderBy: { createdAt: 'asc' } });
  const now = new Date();
  let queued = 0;
  // Dates become ISO strings now, so what is stored is exactly what every attempt sends.
  const stored = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  for (const webhook of webhooks) {
    if (!webhook.events.includes(event)) continue;
    em.create(WebhookDelivery, {
      organization: orgId,
      webhook,
      event,
      subjectId: options.subjectId ?? null,
      payload: stored,
      nextAttemptAt: now,
    });
    queued += 1;
  }
  return queued;
}

/** Tells the delivery worker that new deliveries are due (after the transaction that queued them committed). */
export function wakeDeliveries(services: Services): void {
  services.deliveryWorker.wake();
}

/**
 * Notifies an organization's webhooks and Slack integration of `event` in its own transaction,
 * then wakes the delivery worker. Deliveries are retried with backoff and survive restarts.
 * Budgets call this when spend crosses an alert threshold (`budget.threshold`).
 */
export async function notify(
  services: Services,
  orgId: string,
  event: WebhookEvent,
  payload: Record<string, unknown>,
  options: NotifyOptions = {},
): Promise<number> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const queued = await em.transactional((tx) => enqueueNotifications(tx as EntityManager, orgId, event, payload, options));
  if (queued > 0) wakeDeliveries(services);
  return queued;
}

/** The email sent when no webhook or Slack integration is subscribed to an event. */
export interface FallbackEmail {
  readonly subject: string;
  readonly text: string;
}

/**
 * Notifies the organization's webhooks and Slack integration subscribed to `event`, and, when
 * none is, emails its owners and admins instead, so a notice is never sent nowhere. A failed
 * email is logged.
 */
export async function notifyOrEmail(
  services: Services,
  em: EntityManager,
  orgId: string,
  event: WebhookEvent,
  payload: Record<string, unknown>,
  email: FallbackEmail,
): Promise<void> {
  if ((await notify(services, orgId, event, payload)) > 0) return;
  const recipients = await sqlRows<{ email: string }>(
    em,
    `select u.email from memberships m join users u on u.id = m.user_id
      where m.organization_id = ? and m.role in ('owner', 'admin') order by u.email`,
    [orgId],
  );
  for (const { email: to } of recipients) {
    try {
      await services.mailer.send({ to, subject: email.subject, text: email.text });
    } catch (error) {
      services.log.warn({ orgId, event, reason: (error as Error).message }, 'could not email a notification');
    }
  }
}
