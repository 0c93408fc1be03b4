import { createGuardedAgent, openSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { request, type Agent } from 'undici';
import { ApprovalEvent } from '../approvals/approval-event.entity.js';
import { ApprovalRequest } from '../approvals/approval.entity.js';
import { signApprovalLink, type LinkChannel } from '../approvals/approval-links.js';
import { sqlRows } from '../config-publish/sql.js';
import type { Services } from '../services.js';
import { RoundLoop } from '../workers/round-loop.js';
import { signatureHeader } from './signing.js';
import { slackMessage, type ApprovalLinks } from './slack-message.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { webhookAad, type Webhook } from './webhook.entity.js';
import { deliveryUrlOf } from './webhook-url.js';

/** Attempts per delivery, the first included. */
export const MAX_DELIVERY_ATTEMPTS = 5;
/** Wait after the first failed attempt; each later wait is five times longer (10 s, 50 s, ~4 min, ~21 min). */
const FIRST_RETRY_MS = 10_000;
const RETRY_FACTOR = 5;
/** A claimed delivery is not claimed again before this, so a crash mid-send only delays it. */
const LEASE_MS = 120_000;
/** Deliveries claimed per round (sent concurrently). */
const BATCH = 20;
/** Longest sleep between rounds: picks up rows queued by another control-plane instance. */
const IDLE_POLL_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
const RESPONSE_TIMEOUT_MS = 10_000;

/**
 * Sends queued webhook and Slack deliveries, in-process. Rows in `webhook_deliveries` are the
 * queue, so deliveries survive restarts: the worker claims due rows with `FOR UPDATE SKIP
 * LOCKED` (several control planes may run), sends them through an undici agent that refuses
 * non-public addresses at connect time, and records the result, retrying failures with
 * exponential backoff up to `MAX_DELIVERY_ATTEMPTS`. Signatures and signed approval links
 * are made for each attempt and never stored.
 */
export class DeliveryWorker {
  private readonly agent: Agent;
  private readonly loop = new RoundLoop(() => this.round());

  constructor(private readonly services: Services) {
    this.agent = createGuardedAgent({
      allowLoopback: services.config.allowLoopbackUpstreams,
      connect: { timeout: CONNECT_TIMEOUT_MS },
      keepAliveTimeout: 10_000,
    });
  }

  /** Starts working through due deliveries (those left by a previous run included). */
  start(): void {
    this.wake();
  }

  /** Runs a round now (or right after the current one). */
  wake(): void {
    this.loop.wake();
  }

  /** Stops after the round in flight; undelivered rows wait for the next start. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.agent.close();
  }

  /** Sends what is due; resolves with how long to sleep before the next round. */
  private async round(): Promise<number> {
    try {
      for (;;) {
        const claimed = await this.claim();
        await Promise.all(claimed.map((id) => this.attempt(id)));
        if (claimed.length < BATCH || this.loop.isStopped) break;
      }
      return Math.min(await this.nextDueInMs(), IDLE_POLL_MS);
    } catch (error) {
      this.services.log.error({ err: error }, 'webhook delivery round failed; retrying soon');
      return FIRST_RETRY_MS;
    }
  }

  private async claim(): Promise<string[]> {
    const em = this.services.orm.em.fork({ clear: true }) as EntityManager;
    const rows = await sqlRows<{ id: string }>(
      em,
      `update webhook_deliveries set next_attempt_at = now() + (? * interval '1 millisecond'), updated_at = now()
        where id in (select id from webhook_deliveries where status = 'pending' and next_attempt_at <= now()
                      order by next_attempt_at limit ? for update skip locked)
        returning id`,
      [LEASE_MS, BATCH],
    );
    return rows.map((r) => r.id);
  }

  private async nextDueInMs(): Promise<number> {
    const em = this.services.orm.em.fork({ clear: true }) as EntityManager;
    const [row] = await sqlRows<{ due: Date | null }>(em, `select min(next_attempt_at) as due from webhook_deliveries where status = 'pending'`);
    return row?.due ? new Date(row.due).getTime() - Date.now() : IDLE_POLL_MS;
  }

  private async attempt(id: string): Promise<void> {
    const em = this.services.orm.em.fork({ clear: true }) as EntityManager;
    const delivery = await em.findOne(WebhookDelivery, { id }, { populate: ['webhook'], filters: { tenant: false } });
    if (!delivery) return;
    const webhook = delivery.webhook.getEntity();
    const orgId = delivery.organization.id;
    let result: { ok: boolean; status: number | null; error: string | null };
    try {
      result = await this.send(em, delivery, webhook);
    } catch (error) {
      result = { ok: false, status: null, error: 'could not prepare the delivery' };
      this.services.log.error({ err: error, deliveryId: id, webhookId: webhook.id }, 'could not prepare a webhook delivery');
    }
    delivery.attempts += 1;
    delivery.lastStatusCode = result.status;
    delivery.lastError = result.error;
    const channel = `${webhook.kind}:${webhook.id}`;
    if (result.ok) {
      delivery.status = 'delivered';
      delivery.deliveredAt = new Date();
      this.recordOnApproval(em, delivery, orgId, 'notified', channel, delivery.event);
    } else if (delivery.attempts >= MAX_DELIVERY_ATTEMPTS) {
      delivery.status = 'failed';
      this.recordOnApproval(em, delivery, orgId, 'notify_failed', channel, `${delivery.event}: ${result.error ?? 'failed'}`);
      this.services.log.warn({ deliveryId: id, webhookId: webhook.id, attempts: delivery.attempts }, 'webhook delivery failed for good');
    } else {
      const wait = FIRST_RETRY_MS * RETRY_FACTOR ** (delivery.attempts - 1);
      delivery.nextAttemptAt = new Date(Date.now() + Math.round(wait * (0.9 + Math.random() * 0.2)));
      this.services.log.info(
        { deliveryId: id, webhookId: webhook.id, attempts: delivery.attempts, status: result.status },
        'webhook delivery failed; will retry',
      );
    }
    await em.flush();
  }

  private async send(em: EntityManager, delivery: WebhookDelivery, webhook: Webhook): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const orgId = delivery.organization.id;
    const url = await deliveryUrlOf(this.services.kms, webhook, orgId);
    const links = await this.linksFor(em, delivery, webhook.kind === 'slack' ? 'slack' : 'webhook');
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Keyward-Webhooks/1' };
    if (webhook.kind === 'slack') {
      body = JSON.stringify(slackMessage(delivery.event, delivery.payload, links));
    } else {
      const secret = await openSecret(this.services.kms, webhook.sealed(), webhookAad(orgId, webhook.id));
      body = JSON.stringify({
        id: delivery.id,
        type: delivery.event,
        createdAt: delivery.createdAt.toISOString(),
        organizationId: orgId,
        data: links ? { ...delivery.payload, links } : delivery.payload,
      });
      headers['x-keyward-event'] = delivery.event;
      headers['x-keyward-delivery'] = delivery.id;
      headers['x-keyward-signature'] = signatureHeader(secret, body);
    }
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: RESPONSE_TIMEOUT_MS,
        bodyTimeout: RESPONSE_TIMEOUT_MS,
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, status: res.statusCode, error: ok ? null : `the endpoint answered HTTP ${res.statusCode}` };
    } catch (error) {
      return { ok: false, status: null, error: describeFailure(error, url) };
    }
  }

  /** Signed Approve / Reject links for an approval request that still waits; null otherwise. */
  private async linksFor(em: EntityManager, delivery: WebhookDelivery, channel: LinkChannel): Promise<ApprovalLinks | null> {
    if (delivery.event !== 'approval.requested' || !delivery.subjectId) return null;
    const approval = await em.findOne(ApprovalRequest, { id: delivery.subjectId }, { filters: { tenant: false } });
    if (!approval || approval.status !== 'pending' || approval.expiresAt.getTime() <= Date.now()) return null;
    const { publicUrl, keyPepper } = this.services.config;
    const link = (action: 'approve' | 'reject') =>
      signApprovalLink(publicUrl, keyPepper, { approvalId: approval.id, action, channel, expiresAt: approval.expiresAt });
    return { approve: link('approve'), reject: link('reject') };
  }

  private recordOnApproval(
    em: EntityManager,
    delivery: WebhookDelivery,
    orgId: string,
    type: 'notified' | 'notify_failed',
    channel: string,
    detail: string,
  ): void {
    if (!delivery.subjectId || !delivery.event.startsWith('approval.')) return;
    em.create(ApprovalEvent, { organization: orgId, approval: delivery.subjectId, type, actor: 'system', channel, detail: detail.slice(0, 500) });
  }
}

/** One line about a network failure, with the URL (a secret) and its path, query and credentials cut out. */
function describeFailure(error: unknown, url: string): string {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'Error';
  let message = `${e.message ?? ''}${e.cause?.message ? `: ${e.cause.message}` : ''}`;
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const parts = [url, parsed?.pathname, parsed?.search, parsed?.username, parsed?.password].filter((part): part is string => !!part && part.length > 1);
  for (const secretPart of parts) message = message.split(secretPart).join('…');
  return `${code}: ${message}`.slice(0, 300);
}

/** Start-up task: starts the delivery worker and returns how to stop it. */
export async function startDeliveryWorker(services: Services): Promise<() => Promise<void>> {
  const worker = services.deliveryWorker;
  worker.start();
  return () => worker.stop();
}
