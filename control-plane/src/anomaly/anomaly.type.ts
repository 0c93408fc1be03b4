import { ANOMALY_ACTIONS, type AnomalyAction } from '@keyward/shared';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

export const AnomalyActionEnum = Object.fromEntries(ANOMALY_ACTIONS.map((a) => [a.toUpperCase(), a])) as { [A in AnomalyAction as Uppercase<A>]: A };
registerEnumType(AnomalyActionEnum, {
  name: 'AnomalyAction',
  description:
    'What a request scoring at or above the threshold sets off: RECORD it on the event only; NOTIFY webhooks, Slack or email with the reasons; HOLD the key’s further requests for approval; FREEZE the key until a person unfreezes it.',
});

export const AnomalyScopeKindEnum = { ORGANIZATION: 'organization', TEAM: 'team', KEY: 'key' } as const;
export type AnomalyScopeKind = (typeof AnomalyScopeKindEnum)[keyof typeof AnomalyScopeKindEnum];
registerEnumType(AnomalyScopeKindEnum, { name: 'AnomalyScopeKind', description: 'Whose anomaly response: the organization’s, a team’s or a key’s.' });

@ObjectType('AnomalyResponse', { description: 'What an anomalous request sets off, and from which score.' })
export class AnomalyResponseType {
  @Field(() => AnomalyActionEnum)
  action!: AnomalyAction;

  @Field(() => Int, { description: 'Scores at or above this (1–100) are acted on.' })
  threshold!: number;
}

@ObjectType('AnomalyBaselineSummary', { description: 'What Keyward has learned of a key’s usual behaviour, in figures people read.' })
export class AnomalyBaselineSummaryType {
  @Field(() => Float, { description: 'Usual requests per active minute (the rolling median).' })
  requestsPerMinute!: number;

  @Field(() => Float, { description: 'The usual busiest minutes: the 98th percentile of requests per minute.' })
  peakRequestsPerMinute!: number;

  @Field(() => Float, { description: 'Usual spend per active minute, micro-dollars.' })
  spendMicrosPerMinute!: number;

  @Field(() => Int, { description: 'Usual prompt size, tokens.' })
  promptTokens!: number;

  @Field(() => Int, { description: 'Active minutes learned.' })
  minutesLearned!: number;

  @Field(() => [String], { description: 'Models the key uses.' })
  models!: string[];

  @Field(() => [String], { description: 'Tools its requests offer.' })
  tools!: string[];

  @Field(() => Int, { description: 'Client addresses it has been called from.' })
  clients!: number;

  @Field(() => Date, { description: 'Events up to this time are learned.' })
  learnedUntil!: Date;
}

@ObjectType('AnomalyScorePoint', { description: 'The highest anomaly score of a key’s requests in one five-minute bucket.' })
export class AnomalyScorePointType {
  @Field(() => Date)
  at!: Date;

  @Field(() => Int)
  maxScore!: number;

  @Field(() => Int)
  requests!: number;
}

@ObjectType('KeyAnomaly', { description: 'A key’s learned baseline and its recent anomaly scores.' })
export class KeyAnomalyType {
  @Field(() => AnomalyBaselineSummaryType, { nullable: true, description: 'Null until a learning round has seen the key’s events.' })
  baseline!: AnomalyBaselineSummaryType | null;

  @Field(() => [AnomalyScorePointType], { description: 'The last 24 hours in five-minute buckets with requests, oldest first.' })
  scores!: AnomalyScorePointType[];
}
