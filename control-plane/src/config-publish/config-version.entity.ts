import { BigIntType, Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import type { ConfigChanges, ConfigCollections } from '@keyward/shared';

/**
 * One publish: the complete compiled collections of one organization at `version`. Versions
 * are one sequence across all organizations (a node tracks a single number); the latest row per
 * organization is the current config, so a restarted control plane resumes with the same
 * version and contents. Not tenant-scoped and without a foreign key on purpose: when an
 * organization is deleted its last row (an empty tombstone) must outlive it so nodes learn to
 * drop its entries. Written and read only with SQL by the config publisher.
 */
@Entity({ tableName: 'config_versions' })
@Index({ properties: ['orgId', 'version'] })
export class ConfigVersion {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: new BigIntType('number'), autoincrement: false })
  version!: number;

  @Property({ type: 'uuid' })
  orgId!: string;

  @Property({ type: 'json' })
  collections!: ConfigCollections;

  /**
   * What changed from the organization's previous row, as the publisher worked it out to see
   * whether anything changed at all; the config store hands it to nodes as is. Null on rows
   * published before the column existed.
   */
  @Property({ type: 'json', nullable: true })
  changes?: ConfigChanges | null;

  /** What caused the publish (`key created`, `credential rotated`…), for operators. */
  @Property({ type: 'string', length: 200 })
  reason!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
