import { Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Webhook } from './webhook.entity.js';

/** Where a delivery stands: waiting for its next attempt, done, or given up after the last attempt. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One notification to one webhook, with its retry state. Rows are the queue: the delivery
 * worker claims due `pending` rows (leasing them by moving `nextAttemptAt` ahead), so a
 * restarted control plane picks up where the last one stopped. The payload holds the event
 * data only; signatures and signed approval links are made at send time and never stored.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['webhook', 'createdAt'] })
export class WebhookDelivery extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'attempts' | 'lastStatusCode' | 'lastError' | 'deliveredAt' | 'subjectId';

  @ManyToOne({ entity: () => Webhook, ref: true, deleteRule: 'cascade' })
  webhook!: Ref<Webhook>;

  /** e.g. `approval.requested`. */
  @Property({ type: 'string', length: 64 })
  event!: string;

  /** What the event is about (an approval id), for looking deliveries up by subject. */
  @Property({ type: 'uuid', nullable: true })
  subjectId: string | null = null;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Enum({ items: ['pending', 'delivered', 'failed'], type: 'string', default: 'pending' })
  status: DeliveryStatus = 'pending';

  @Property({ type: 'integer', default: 0 })
  attempts = 0;

  @Property({ type: 'smallint', nullable: true })
  lastStatusCode: number | null = null;

  /** Why the last attempt failed, without the URL (a Slack URL is a secret). */
  @Property({ type: 'string', length: 300, nullable: true })
  lastError: string | null = null;

  /** When the next attempt is due; while an attempt runs, the end of its lease. */
  @Property({ type: 'datetime' })
  nextAttemptAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Date | null = null;
}
