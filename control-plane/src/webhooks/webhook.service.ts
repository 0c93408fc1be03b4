import { randomUUID } from 'node:crypto';
import { checkBaseUrl, maskedUrl, sealSecret, UnsafeUrlError } from '@keyward/shared';
import { actorOf } from '../auth/viewer.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { pageSize } from '../keys/paging.js';
import { assertUuid } from '../keys/validators.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { isWebhookEvent, WEBHOOK_EVENTS, type WebhookEvent } from './webhook-events.js';
import { Webhook, webhookAad } from './webhook.entity.js';
import type { CreateWebhookInput, SlackIntegrationInput } from './webhook.input.js';
import type { CreatedWebhook, WebhookDeliveryType, WebhookType } from './webhook.type.js';
import { generateWebhookSecret } from './signing.js';
import { sealWebhookUrl } from './webhook-url.js';
import { requireOrgPlanFeature } from '../billing/plan-gates.js';

/** Most webhooks (Slack included) one organization may have. */
const MAX_WEBHOOKS_PER_ORG = 20;
const SLACK_DEFAULT_EVENTS: WebhookEvent[] = ['approval.requested', 'approval.decided'];

/** The organization's webhooks and Slack integration, oldest first. */
export async function listWebhooks(ctx: GraphQLContext): Promise<WebhookType[]> {
  const rows = await ctx.em.find(Webhook, {}, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toWebhookType);
}

/** Creates a webhook with a fresh signing secret, returned this once; the secret and the URL are stored sealed. */
export async function createWebhook(ctx: GraphQLContext, input: CreateWebhookInput): Promise<CreatedWebhook> {
  const orgId = orgOf(ctx);
  await requireOrgPlanFeature(ctx.services.config.edition, ctx.em, orgId, 'webhooks');
  const url = checkedUrl(ctx, input.url, 'url');
  const events = checkedEvents(input.events);
  const id = randomUUID();
  const secret = generateWebhookSecret();
  const sealed = await sealSecret(ctx.services.kms, secret, webhookAad(orgId, id));
  const sealedUrl = await sealWebhookUrl(ctx.services.kms, url, orgId, id);
  const webhook = await ctx.em.transactional(async (tx) => {
    await assertRoom(tx.count(Webhook, {}));
    return tx.create(Webhook, {
      id,
      organization: orgId,
      kind: 'webhook',
      sealedUrl,
      urlHint: maskedUrl(url).slice(0, 300),
      events,
      createdBy: actorOf(ctx.viewer!),
      ...sealed,
    });
  });
  return { webhook: toWebhookType(webhook), secret };
}

/** Deletes a webhook (or the Slack integration) with its pending deliveries. */
export async function deleteWebhook(ctx: GraphQLContext, id: string): Promise<string> {
  assertUuid(id, 'a webhook id');
  const webhook = await ctx.em.findOne(Webhook, { id });
  if (!webhook) throw new AppError('NOT_FOUND', `No webhook with id ${id} in this organization.`);
  await ctx.em.nativeDelete(WebhookDelivery, { webhook: id });
  await ctx.em.remove(webhook).flush();
  return id;
}

/**
 * Sets the Slack incoming webhook notifications go to. Its URL is a secret (anyone holding it
 * can post to the channel), so it is sealed with the KMS and only a hint is shown. An
 * organization has one Slack integration: setting it again replaces the URL and events, and
 * deliveries not yet sent go to the new URL.
 */
export async function setSlackIntegration(ctx: GraphQLContext, input: SlackIntegrationInput): Promise<WebhookType> {
  const orgId = orgOf(ctx);
  await requireOrgPlanFeature(ctx.services.config.edition, ctx.em, orgId, 'slack');
  const url = checkedUrl(ctx, input.secretUrl, 'secretUrl');
  const events = input.events ? checkedEvents(input.events) : SLACK_DEFAULT_EVENTS;
  const parsed = new URL(url);
  const hint = `${parsed.host}${parsed.pathname.split('/').slice(0, 2).join('/')}/…${url.slice(-4)}`.slice(0, 300);
  const existing = await ctx.em.findOne(Webhook, { kind: 'slack' });
  const id = existing?.id ?? randomUUID();
  const sealed = await sealSecret(ctx.services.kms, url, webhookAad(orgId, id));
  const webhook = await ctx.em.transactional(async (tx) => {
    const current = await tx.findOne(Webhook, { id });
    if (current) {
      current.setSealed(sealed);
      current.urlHint = hint;
      current.events = events;
      return current;
    }
    await assertRoom(tx.count(Webhook, {}));
    if (await tx.count(Webhook, { kind: 'slack' })) throw new AppError('CONFLICT', 'The Slack integration was set at the same time; try again.');
    return tx.create(Webhook, { id, organization: orgId, kind: 'slack', urlHint: hint, events, createdBy: actorOf(ctx.viewer!), ...sealed });
  });
  return toWebhookType(webhook);
}

/** Removes the Slack integration. */
export async function deleteSlackIntegration(ctx: GraphQLContext): Promise<boolean> {
  const slack = await ctx.em.findOne(Webhook, { kind: 'slack' });
  if (!slack) throw new AppError('NOT_FOUND', 'This organization has no Slack integration.');
  await deleteWebhook(ctx, slack.id);
  return true;
}

/** A webhook's most recent deliveries, newest first. */
export async function listDeliveries(ctx: GraphQLContext, webhookId: string, first: number | null | undefined): Promise<WebhookDeliveryType[]> {
  assertUuid(webhookId, 'a webhook id');
  const limit = pageSize(first);
  if (!(await ctx.em.count(Webhook, { id: webhookId }))) throw new AppError('NOT_FOUND', `No webhook with id ${webhookId} in this organization.`);
  const rows = await ctx.em.find(WebhookDelivery, { webhook: webhookId }, { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit });
  return rows.map((d) => ({
    id: d.id,
    webhookId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
    payload: d.payload,
    createdAt: d.createdAt,
  }));
}

function toWebhookType(webhook: Webhook): WebhookType {
  return {
    id: webhook.id,
    kind: webhook.kind,
    url: null,
    // A row a previous release wrote keeps its URL's path in the hint until it is sealed at start-up.
    urlHint: webhook.kind === 'slack' ? webhook.urlHint : maskedUrl(webhook.urlHint),
    events: webhook.events,
    createdBy: webhook.createdBy,
    createdAt: webhook.createdAt,
  };
}

/**
 * The URL checks provider base URLs get: absolute, https (plain http only for loopback when
 * allowed), no credentials or fragment, no private or metadata address. The message never
 * repeats the URL, which may be a secret.
 */
function checkedUrl(ctx: GraphQLContext, url: string, field: string): string {
  try {
    checkBaseUrl(url, { allowLoopback: ctx.services.config.allowLoopbackUpstreams });
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    throw new AppError('BAD_USER_INPUT', `${field}: ${error.message.replace(/^base URL/, 'the URL')}.`);
  }
  return url;
}

function checkedEvents(events: readonly string[]): WebhookEvent[] {
  const unknown = events.find((e) => !isWebhookEvent(e));
  if (unknown !== undefined) {
    throw new AppError('BAD_USER_INPUT', `events: "${unknown.slice(0, 64)}" is not an event (expected ${WEBHOOK_EVENTS.join(', ')}).`);
  }
  return [...new Set(events)] as WebhookEvent[];
}

async function assertRoom(count: Promise<number>): Promise<void> {
  if ((await count) >= MAX_WEBHOOKS_PER_ORG) {
    throw new AppError('CONFLICT', `An organization may have at most ${MAX_WEBHOOKS_PER_ORG} webhooks; delete one first.`);
  }
}
