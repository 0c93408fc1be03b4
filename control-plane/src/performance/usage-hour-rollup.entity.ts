import { BigIntType, Entity, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * Requests, tokens and spend per organization, UTC hour, key, model, provider and decision,
 * maintained by event ingestion in the same transaction as the events (each event counted once).
 * The Overview screen reads these rows instead of paging events; hours add up into the
 * organization's local days. `model` and `provider` are `''` when the request named none.
 */
@Entity({ tableName: 'usage_hour_rollups' })
@Unique({ name: 'usage_hour_rollups_bucket_unique', properties: ['organization', 'hour', 'keyId', 'model', 'provider', 'decision'] })
export class UsageHourRollup extends OrgScopedEntity {
  @Property({ type: 'datetime' })
  hour!: Date;

  @Property({ type: 'uuid' })
  keyId!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  decision!: string;

  @Property({ type: new BigIntType('number') })
  requests!: number;

  @Property({ type: new BigIntType('number') })
  inputTokens!: number;

  @Property({ type: new BigIntType('number') })
  outputTokens!: number;

  @Property({ type: new BigIntType('number') })
  costMicros!: number;
}
