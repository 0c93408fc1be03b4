import { Entity, Enum, Index, OptionalProps, Property } from '@mikro-orm/core';
import type { SealedSecret } from '@keyward/shared';
import { SealedSecretEntity } from '../db/sealed-secret.entity.js';

/** A generic signed HTTPS webhook, or a Slack incoming webhook. */
export type WebhookKind = 'webhook' | 'slack';

/**
 * Where an organization's notifications go. A webhook URL is a secret (a token in its path or
 * query lets anyone post), so only sealed copies and a masked hint are kept. For a `webhook` the
 * sealed secret is the HMAC signing secret (shown once, at creation) and the URL is sealed apart
 * (`sealedUrl`); for `slack` the sealed secret is the URL. Sealed with the KMS,
 * `orgId:webhook:id` (`orgId:webhook-url:id` for the URL) as associated data.
 */
@Entity({ tableName: 'webhooks' })
@Index({ properties: ['organization', 'createdAt'] })
export class Webhook extends SealedSecretEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'url' | 'sealedUrl';

  @Enum({ items: ['webhook', 'slack'], type: 'string' })
  kind!: WebhookKind;

  /**
   * The delivery URL in plain text, as releases before `sealedUrl` stored it: null once sealed
   * (at start-up), and never written now.
   */
  @Property({ type: 'text', nullable: true })
  url: string | null = null;

  /** A generic webhook's delivery URL, sealed; null for Slack (its URL is the sealed secret) and rows not sealed yet. */
  @Property({ type: 'json', nullable: true, hidden: true })
  sealedUrl: SealedSecret | null = null;

  /** What people see in lists: the URL with its secret part cut (`https://hooks.example.com/…`). */
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
