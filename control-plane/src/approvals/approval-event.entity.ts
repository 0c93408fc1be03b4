import { Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { ApprovalRequest } from './approval.entity.js';

/** Kinds of entries in an approval's history. */
export type ApprovalEventType = 'requested' | 'notified' | 'notify_failed' | 'approved' | 'rejected' | 'expired' | 'outcome';

/**
 * One entry of an approval's append-only history: the node asked, a channel was notified (or
 * gave up), someone decided, it expired, the node reported what it did.
 */
@Entity({ tableName: 'approval_events' })
@Index({ properties: ['approval', 'createdAt'] })
export class ApprovalEvent extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'channel' | 'detail';

  @ManyToOne({ entity: () => ApprovalRequest, ref: true, deleteRule: 'cascade' })
  approval!: Ref<ApprovalRequest>;

  @Enum({ items: ['requested', 'notified', 'notify_failed', 'approved', 'rejected', 'expired', 'outcome'], type: 'string' })
  type!: ApprovalEventType;

  /** `node:<token id>`, `user:<id>`, `token:<id>`, `link:<channel>` or `system`. */
  @Property({ type: 'string', length: 80 })
  actor!: string;

  /** For notifications: `webhook:<id>` or `slack:<id>`. */
  @Property({ type: 'string', length: 80, nullable: true })
  channel: string | null = null;

  /** The decision reason, the node's outcome, or why a notification failed. */
  @Property({ type: 'string', length: 500, nullable: true })
  detail: string | null = null;
}
