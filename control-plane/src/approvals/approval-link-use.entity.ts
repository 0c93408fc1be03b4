import { Entity, Enum, ManyToOne, OptionalProps, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { ApprovalRequest } from './approval.entity.js';

/**
 * A signed approval link that was used. The primary key is the link's `jti`, so recording a
 * second use of the same link fails on the key, even when two clicks race.
 */
@Entity({ tableName: 'approval_link_uses' })
export class ApprovalLinkUse extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @ManyToOne({ entity: () => ApprovalRequest, ref: true, deleteRule: 'cascade' })
  approval!: Ref<ApprovalRequest>;

  @Enum({ items: ['approve', 'reject'], type: 'string' })
  action!: 'approve' | 'reject';
}
