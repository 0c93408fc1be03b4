import { BigIntType, Entity, Index, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/**
 * Usage summed per organization, team, key, model and local day (in the organization's time
 * zone when the event was stored), maintained by event ingestion in the same transaction as
 * the events, counting each event once. Budget spend, usage charts and statements read these
 * rows instead of scanning events. `model` is `''` for events without one; `teamId` is the
 * team the key was in when the request ran.
 */
@Entity({ tableName: 'spend_rollups' })
@Unique({
  name: 'spend_rollups_bucket_unique',
  expression:
    'create unique index "spend_rollups_bucket_unique" on "spend_rollups" ("organization_id", "day", "key_id", (coalesce("team_id", \'00000000-0000-0000-0000-000000000000\'::uuid)), "model")',
})
@Index({ name: 'spend_rollups_key_day_idx', expression: 'create index "spend_rollups_key_day_idx" on "spend_rollups" ("organization_id", "key_id", "day")' })
@Index({ name: 'spend_rollups_team_day_idx', expression: 'create index "spend_rollups_team_day_idx" on "spend_rollups" ("organization_id", "team_id", "day")' })
export class SpendRollup extends OrgScopedEntity {
  @Property({ type: 'string', columnType: 'date' })
  day!: string;

  @Property({ type: 'uuid', nullable: true })
  teamId: string | null = null;

  @Property({ type: 'uuid' })
  keyId!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: new BigIntType('number') })
  requests!: number;

  @Property({ type: new BigIntType('number') })
  inputTokens!: number;

  @Property({ type: new BigIntType('number') })
  outputTokens!: number;

  @Property({ type: new BigIntType('number') })
  cachedInputTokens!: number;

  /** Integer micro-dollars. */
  @Property({ type: new BigIntType('number') })
  costMicros!: number;
}
