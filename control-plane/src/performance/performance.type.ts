import type { Decision } from '@keyward/shared';
import { Field, Float, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { DecisionEnum } from '../events/usage-event.type.js';
import type { PerformanceBucket } from './performance.js';

/** How long one chart point lasts. */
export const PerformanceBucketEnum = { MINUTE: 'minute', HOUR: 'hour', DAY: 'day' } as const satisfies Record<string, PerformanceBucket>;
registerEnumType(PerformanceBucketEnum, {
  name: 'PerformanceBucket',
  description: "MINUTE: clock minutes (the last 48 hours); HOUR: clock hours; DAY: local days in the organization's time zone.",
});

@ObjectType('DecisionCount', { description: 'How many requests ended with one decision.' })
class DecisionCountType {
  @Field(() => DecisionEnum)
  decision!: Decision;

  @Field(() => Float)
  requests!: number;
}

/** Fields every set of performance figures has; points and providers add what they are about. */
@InterfaceType('PerformanceFigures', { description: 'Request counts, error rates, token throughput and latency percentiles over some stretch of time.' })
abstract class PerformanceFiguresType {
  @Field(() => Float)
  requests!: number;

  @Field(() => Float, { description: 'Requests answered with a 4xx status.' })
  clientErrors!: number;

  @Field(() => Float, { description: 'Requests answered with a 5xx status.' })
  serverErrors!: number;

  @Field(() => Float, { description: 'Share of requests answered with a 4xx status, from 0 to 1.' })
  clientErrorRate!: number;

  @Field(() => Float, { description: 'Share of requests answered with a 5xx status, from 0 to 1.' })
  serverErrorRate!: number;

  @Field(() => Float)
  inputTokens!: number;

  @Field(() => Float)
  outputTokens!: number;

  @Field(() => Float, { description: 'Input and output tokens per minute, averaged over the stretch (up to now for the current bucket).' })
  tokensPerMinute!: number;

  @Field(() => Int, { nullable: true, description: 'Median latency in milliseconds of forwarded and failed requests (within 5%); null without any.' })
  latencyP50!: number | null;

  @Field(() => Int, { nullable: true })
  latencyP95!: number | null;

  @Field(() => Int, { nullable: true })
  latencyP99!: number | null;

  @Field(() => Int, { nullable: true, description: 'Median time to first token in milliseconds (within 5%); null without any streamed answer.' })
  ttftP50!: number | null;

  @Field(() => Int, { nullable: true })
  ttftP95!: number | null;

  @Field(() => Int, { nullable: true })
  ttftP99!: number | null;

  @Field(() => [DecisionCountType], { description: 'Requests per decision; decisions without any are left out.' })
  decisions!: DecisionCountType[];
}

@ObjectType('PerformanceTotals', { implements: PerformanceFiguresType, description: 'Performance over a whole range.' })
export class PerformanceTotalsType extends PerformanceFiguresType {}

@ObjectType('PerformancePoint', { implements: PerformanceFiguresType, description: 'Performance over one bucket.' })
export class PerformancePointType extends PerformanceFiguresType {
  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;
}

@ObjectType('ProviderPerformance', { implements: PerformanceFiguresType, description: 'One provider’s performance over the whole range.' })
export class ProviderPerformanceType extends PerformanceFiguresType {
  @Field(() => String, { nullable: true, description: 'The provider kind; null for requests decided before a provider was chosen.' })
  provider!: string | null;
}

@ObjectType('PerformanceReport', { description: 'Performance over a range, bucket by bucket, from rollups computed as events are stored.' })
export class PerformanceReportType {
  @Field(() => Date, { description: 'Start of the first bucket: the asked `from` rounded down to its bucket.' })
  from!: Date;

  @Field(() => Date)
  to!: Date;

  @Field(() => PerformanceBucketEnum)
  bucket!: PerformanceBucket;

  @Field(() => [PerformancePointType])
  points!: PerformancePointType[];

  @Field(() => PerformanceTotalsType)
  totals!: PerformanceTotalsType;

  @Field(() => [ProviderPerformanceType], { description: 'Each provider over the whole range, busiest first.' })
  providers!: ProviderPerformanceType[];

  @Field(() => PerformanceReportType, {
    nullable: true,
    description: 'The period of the same length just before, bucket for bucket, when `compare` was asked.',
  })
  previous!: PerformanceReportType | null;
}
