import { Entity, OptionalProps, Property } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * The bearer token an identity provider provisions an organization's people with (`kws_…`):
 * shown once, only its keyed hash stored, like API tokens.
 */
@Entity({ tableName: 'scim_tokens' })
export class ScimToken extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'lastUsedAt' | 'revokedAt';

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** `displayPrefix(secret)`. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  /** `hashSecret(secret, keyPepper)`. */
  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  /** Audit actor who created it. */
  @Property({ type: 'string', length: 80 })
  createdBy!: string;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
