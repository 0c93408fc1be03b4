import { Entity, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * A limit hit or an expiry of a pool recipient's key that was recorded and notified: one row per
 * key, kind and period (a budget period, an hour of rate limiting, an expiry time), claimed before
 * anything is written, so a loop of refused calls or several control planes report it once.
 */
@Entity({ tableName: 'pool_key_notices' })
@Unique({ properties: ['keyId', 'kind', 'periodKey'] })
export class PoolKeyNotice extends OrgScopedEntity {
  @Property({ type: 'uuid' })
  keyId!: string;

  /** `budget_exceeded`, `rate_limited` or `expired`. */
  @Property({ type: 'string', length: 32 })
  kind!: string;

  @Property({ type: 'string', length: 40 })
  periodKey!: string;
}
