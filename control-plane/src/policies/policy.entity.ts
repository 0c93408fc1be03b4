import { Entity, Index, OptionalProps, Property } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * A named policy of one organization. Its content lives in append-only `PolicyVersion` rows;
 * `currentVersion` names the one that is enforced. Where it applies is a set of
 * `PolicyAttachment` rows; a policy attached nowhere is published but enforced nowhere.
 */
@Entity({ tableName: 'policies' })
@Index({ properties: ['organization', 'createdAt'] })
export class Policy extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'description' | 'enabled' | 'currentVersion';

  /** The current document's `name` (copied so lists need not read documents). */
  @Property({ type: 'string', length: 200 })
  name!: string;

  /** The current document's `description`. */
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  /** Disabled policies stay published (the console shows them) but nodes skip them. */
  @Property({ type: 'boolean', default: true })
  enabled = true;

  @Property({ type: 'integer', default: 1 })
  currentVersion = 1;

  /** Audit actor who created it: `user:<id>` or `token:<id>`. */
  @Property({ type: 'string', length: 80 })
  createdBy!: string;
}
