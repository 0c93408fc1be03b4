import { Entity, Index, Property, Unique } from '@mikro-orm/core';
import type { AnomalyBaseline } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';

/** What a baseline describes: one key, a team's typical key, or an organization's typical key. */
const BASELINE_SCOPES = ['key', 'team', 'organization'] as const;
export type BaselineScope = (typeof BASELINE_SCOPES)[number];

/**
 * A learned anomaly baseline (`shared/src/anomaly/baseline.ts`), whole, as the learning rounds
 * left it (`anomaly/learn-baselines.ts`). `learnedUntil` is the end of the last complete minute
 * of events folded in; the organization's row is where its next round starts.
 */
@Entity({ tableName: 'anomaly_baselines' })
@Unique({ properties: ['scope', 'scopeId'] })
@Index({ properties: ['organization'] })
export class AnomalyBaselineRecord extends OrgScopedEntity {
  @Property({ type: 'string', length: 16 })
  scope!: BaselineScope;

  @Property({ type: 'uuid' })
  scopeId!: string;

  @Property({ type: 'json' })
  baseline!: AnomalyBaseline;

  @Property({ type: 'datetime' })
  learnedUntil!: Date;
}
