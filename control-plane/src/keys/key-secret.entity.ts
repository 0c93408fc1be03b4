import { Entity, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from './key.entity.js';

/**
 * A rotated-out secret of a key that keeps working until `graceUntil`, so agents can switch to
 * the new secret without downtime. Rows past their grace are ignored by the config compiler and
 * pruned on the key's next rotation.
 */
@Entity({ tableName: 'key_secrets' })
@Index({ properties: ['key', 'graceUntil'] })
export class KeySecret extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @ManyToOne({ entity: () => Key, ref: true, deleteRule: 'cascade' })
  key!: Ref<Key>;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  secretHash!: string;

  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'datetime' })
  graceUntil!: Date;
}
