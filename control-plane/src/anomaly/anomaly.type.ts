import { ANOMALY_ACTIONS, type AnomalyAction } from '@keyward/shared';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

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
