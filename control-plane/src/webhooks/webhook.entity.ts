import { Entity, Enum, Index, OptionalProps, Property } from '@mikro-orm/core';
import { SealedSecretEntity } from '../db/sealed-secret.entity.js';

/** A generic signed HTTPS webhook, or a Slack incoming webhook. */
export type WebhookKind = 'webhook' | 'slack';

/**
 * Where an organization's notifications go. For a `webhook` the URL is stored as given and the
 * sealed secret is the HMAC signing secret (shown once, at creation). For `slack` the URL itself
 * is the secret (anyone holding it can post to the channel), so only the sealed copy and a
 * short hint are kept. Sealed with the KMS, `orgId:webhook:id` as associated data.
 */
@Entity({ tableName: 'webhooks' })
@Index({ properties: ['organization', 'createdAt'] })
export class Webhook extends SealedSecretEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'url';

  @Enum({ items: ['webhook', 'slack'], type: 'string' })
  kind!: WebhookKind;

  /** The delivery URL of a generic webhook; null for Slack, whose URL is secret. */
  @Property({ type: 'text', nullable: true })
  url: string | null = null;

  /** What people see in lists: the URL's origin and path with the secret part cut. */
  @Property({ type: 'string', length: 300 })
  urlHint!: string;

  /** Event names delivered here, e.g. `approval.requested`. */
  @Property({ type: 'json' })
  events!: string[];

  /** Audit actor who created it. */
  @Property({ type: 'string', length: 80 })
  createdBy!: string;
}

/** Associated data a webhook's secret is sealed with, so a ciphertext copied to another row does not open. */
export function webhookAad(orgId: string, webhookId: string): string {
  return `${orgId}:webhook:${webhookId}`;
}
