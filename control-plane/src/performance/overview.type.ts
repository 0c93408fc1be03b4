import { Field, Float, ID, ObjectType } from 'type-graphql';

@ObjectType('OverviewPoint', { description: 'Requests and spend of one bucket.' })
export class OverviewPointType {
  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;

  @Field(() => Float)
  requests!: number;

  @Field(() => Float, { description: 'Integer micro-dollars.' })
  costMicros!: number;

  @Field(() => Float, { description: 'Requests stopped by a policy, an approver, a rate limit, a budget or a bad key.' })
  blocked!: number;

  @Field(() => Float, { description: 'Requests that failed (decision ERROR).' })
  errors!: number;
}

@ObjectType('OverviewSeries', { description: "One model's or key's requests and spend per bucket, in the order of the report's points." })
export class OverviewSeriesType {
  @Field(() => String, {
    nullable: true,
    description: 'The model ("" for requests without one) or the key id; null for every group outside the top five added up.',
  })
  group!: string | null;

  @Field(() => String, { nullable: true, description: "The key's name (its prefix once deleted) when grouped by key." })
  label!: string | null;

  @Field(() => [Float])
  requests!: number[];

  @Field(() => [Float], { description: 'Integer micro-dollars.' })
  costMicros!: number[];
}

@ObjectType('OverviewKey', { description: 'One of the keys that spent the most over the range.' })
export class OverviewKeyType {
  @Field(() => ID)
  keyId!: string;

  @Field(() => String, { nullable: true, description: 'Null once the key is deleted.' })
  name!: string | null;

  @Field(() => String, { nullable: true })
  prefix!: string | null;

  @Field(() => Float)
  requests!: number;

  @Field(() => Float, { description: 'Integer micro-dollars.' })
  costMicros!: number;

  @Field(() => Float)
  blocked!: number;
}

@ObjectType('OverviewReport', { description: 'Requests and spend over a range, from hourly rollups computed as events are stored.' })
export class OverviewReportType {
  @Field(() => Date, { description: 'Start of the first bucket: the asked `from` rounded down to its bucket.' })
  from!: Date;

  @Field(() => Date)
  to!: Date;

  @Field(() => [OverviewPointType])
  points!: OverviewPointType[];

  @Field(() => [OverviewSeriesType], { description: 'The five models or keys that spent the most (then made the most requests), then the rest.' })
  series!: OverviewSeriesType[];

  @Field(() => [OverviewKeyType], { description: 'The five keys that spent the most (then made the most requests).' })
  topKeys!: OverviewKeyType[];
}
