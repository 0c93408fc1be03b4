import type { AnomalyAction } from '@keyward/shared';
import { Field, ID, InputType, Int } from 'type-graphql';
import { AnomalyActionEnum, AnomalyScopeKindEnum, type AnomalyScopeKind } from './anomaly.type.js';

@InputType({ description: 'Chooses the anomaly response of the organization, a team or a key; a null action goes back to the next scope’s choice.' })
export class SetAnomalyResponseInput {
  @Field(() => AnomalyScopeKindEnum)
  scopeKind!: AnomalyScopeKind;

  @Field(() => ID, { nullable: true, description: 'The team or key; left out for the organization.' })
  scopeId?: string | null;

  @Field(() => AnomalyActionEnum, {
    nullable: true,
    description: 'Null: no choice of its own (a key takes its team’s, a team the organization’s, the organization records at 80).',
  })
  action?: AnomalyAction | null;

  @Field(() => Int, { defaultValue: 80, description: 'Scores at or above this (1–100) are acted on.' })
  threshold!: number;
}
