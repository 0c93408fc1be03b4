/**
 * A webhook's URL is a secret: services like Slack, Discord and Teams put the token that lets
 * anyone post in its path, others in its query. It is stored sealed with the KMS and shown only
 * as `scheme://host/…`.
 */
import { maskedUrl, openSecret, sealSecret, type Kms, type SealedSecret } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../services.js';
import { Webhook, webhookAad } from './webhook.entity.js';

/** Associated data a generic webhook's URL is sealed with: not its signing secret's, so neither opens as the other. */
function webhookUrlAad(orgId: string, webhookId: string): string {
  return `${orgId}:webhook-url:${webhookId}`;
}

/** Seals a generic webhook's URL for its row. */
export function sealWebhookUrl(kms: Kms, url: string, orgId: string, webhookId: string): Promise<SealedSecret> {
  return sealSecret(kms, url, webhookUrlAad(orgId, webhookId));
}

/**
 * Where a webhook's deliveries go: the Slack URL (its sealed secret), else the sealed URL, else
 * the plain URL a previous release stored (sealed at the next start of a control plane).
 */
export async function deliveryUrlOf(kms: Kms, webhook: Webhook, orgId: string): Promise<string> {
  if (webhook.kind === 'slack') return openSecret(kms, webhook.sealed(), webhookAad(orgId, webhook.id));
  if (webhook.sealedUrl) return openSecret(kms, webhook.sealedUrl, webhookUrlAad(orgId, webhook.id));
  if (webhook.url === null) throw new Error(`webhook ${webhook.id} has no URL`);
  return webhook.url;
}

/**
 * Start-up task: seals the URLs earlier releases stored in plain text (and a previous release
 * still stores during a rolling upgrade), clears the plain copy and masks the hint. Two control
 * planes starting at once may both seal a row; either copy opens.
 */
export async function sealPlainWebhookUrls(services: Services): Promise<void> {
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const plain = await em.find(Webhook, { kind: 'webhook', url: { $ne: null } }, { filters: { tenant: false } });
  for (const webhook of plain) {
    webhook.sealedUrl = await sealWebhookUrl(services.kms, webhook.url!, webhook.organization.id, webhook.id);
    webhook.urlHint = maskedUrl(webhook.url!);
    webhook.url = null;
  }
  await em.flush();
  if (plain.length > 0) services.log.info({ webhooks: plain.length }, 'sealed webhook URLs stored in plain text');
}
