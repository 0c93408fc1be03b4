import { ArrayType, BigIntType, Entity, Index, Property, Unique } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/** What every performance rollup row sums over its stretch of time and provider. */
abstract class PerformanceSums extends OrgScopedEntity {
  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: new BigIntType('number') })
  requests!: number;

  /** Requests answered with a 4xx status. */
  @Property({ type: new BigIntType('number') })
  clientErrors!: number;

  /** Requests answered with a 5xx status. */
  @Property({ type: new BigIntType('number') })
  serverErrors!: number;

  @Property({ type: new BigIntType('number') })
  inputTokens!: number;

  @Property({ type: new BigIntType('number') })
  outputTokens!: number;

  /** Requests per decision, in the order of the shared `DECISIONS` list (new decisions are appended). */
  @Property({ type: ArrayType, columnType: 'bigint[]' })
  decisionCounts!: string[];

  @Property({ type: ArrayType, columnType: 'bigint[]' })
  latencyHistogram!: string[];

  @Property({ type: ArrayType, columnType: 'bigint[]' })
  ttftHistogram!: string[];
}

/**
 * Request counts, error counts, tokens and latency histograms per organization, UTC hour and
 * provider, maintained by event ingestion in the same transaction as the events (each event
 * counted once). The Performance screen reads these rows instead of scanning events; hours merge
 * into days because histograms share fixed buckets (see `histogram.ts`). `provider` is `''` for
 * requests decided before a provider was chosen.
 */
@Entity({ tableName: 'performance_rollups' })
@Unique({ name: 'performance_rollups_bucket_unique', properties: ['organization', 'hour', 'provider'] })
@Index({ name: 'performance_rollups_org_hour_idx', properties: ['organization', 'hour'] })
export class PerformanceRollup extends PerformanceSums {
  @Property({ type: 'datetime' })
  hour!: Date;
}

/**
 * The same sums per UTC quarter hour. Where a local day or hour starts inside a UTC hour (India,
 * Nepal, Newfoundland…), the Performance screen splits that hour at the edge with these rows.
 */
@Entity({ tableName: 'performance_quarter_rollups' })
@Unique({ name: 'performance_quarter_rollups_bucket_unique', properties: ['organization', 'quarter', 'provider'] })
export class PerformanceQuarterRollup extends PerformanceSums {
  @Property({ type: 'datetime' })
  quarter!: Date;
}

/**
 * The same sums per UTC minute, for the Performance screen's short ranges; kept for
 * `MINUTE_ROLLUP_HOURS` (the retention sweep deletes older ones).
 */
@Entity({ tableName: 'performance_minute_rollups' })
@Unique({ name: 'performance_minute_rollups_bucket_unique', properties: ['organization', 'minute', 'provider'] })
export class PerformanceMinuteRollup extends PerformanceSums {
  @Property({ type: 'datetime' })
  minute!: Date;
}
