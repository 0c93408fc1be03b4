import { BigIntType, Entity, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * Requests, tokens and spend of one stretch of time per organization, key, model, provider and
 * decision, maintained by event ingestion in the same transaction as the events (each event
 * counted once). `model` and `provider` are `''` when the request named none.
 */
abstract class UsageRollupFigures extends OrgScopedEntity {
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

/**
 * Usage per UTC hour. The Overview screen reads these rows instead of paging events; hours add
 * up into clock hours and the organization's local days.
 */
@Entity({ tableName: 'usage_hour_rollups' })
@Unique({ name: 'usage_hour_rollups_bucket_unique', properties: ['organization', 'hour', 'keyId', 'model', 'provider', 'decision'] })
export class UsageHourRollup extends UsageRollupFigures {
  @Property({ type: 'datetime' })
  hour!: Date;
}

/**
 * Usage per UTC quarter hour. Where a local day or hour starts inside a UTC hour (India, Nepal,
 * Newfoundland…), the Overview splits that hour at the edge with these rows; every time zone in
 * use is offset from UTC by whole quarter hours.
 */
@Entity({ tableName: 'usage_quarter_rollups' })
@Unique({ name: 'usage_quarter_rollups_bucket_unique', properties: ['organization', 'quarter', 'keyId', 'model', 'provider', 'decision'] })
export class UsageQuarterRollup extends UsageRollupFigures {
  @Property({ type: 'datetime' })
  quarter!: Date;
}
