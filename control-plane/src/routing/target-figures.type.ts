import type { AttemptOutcome } from '@keyward/shared';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AttemptOutcomeEnum } from '../events/usage-event.type.js';

export const FigureWindowEnum = { LAST_HOUR: 'hour', LAST_DAY: 'day', LAST_WEEK: 'week' } as const;
export type FigureWindow = (typeof FigureWindowEnum)[keyof typeof FigureWindowEnum];
registerEnumType(FigureWindowEnum, { name: 'FigureWindow', description: 'How far back per-target figures reach, from now.' });

@ObjectType('OutcomeCount', { description: 'How many attempts ended one way.' })
export class OutcomeCountType {
  @Field(() => AttemptOutcomeEnum)
  outcome!: AttemptOutcome;

  @Field(() => Int)
  count!: number;
}

@ObjectType('NodeCircuit', { description: 'A target’s circuit breaker on one node, when it is not closed, as the node’s last heartbeat reported it.' })
export class NodeCircuitType {
  @Field(() => String, { description: 'The node’s own id.' })
  nodeId!: string;

  @Field(() => String, { description: '`open` (the node skips the target) or `half_open` (it lets one probe through).' })
  state!: string;

  @Field(() => Date, { nullable: true, description: 'When an open circuit lets a probe through.' })
  openUntil!: Date | null;
}

@ObjectType('TargetFigures', {
  description:
    'One target (credential and provider model) over a window, from the attempts of stored usage events, with its circuit on each node that reported it not closed.',
})
export class TargetFiguresType {
  @Field(() => ID)
  credentialId!: string;

  @Field(() => String)
  model!: string;

  @Field(() => Int, { description: 'Attempts sent to the target (a retried request counts each try).' })
  requests!: number;

  @Field(() => Int, { description: 'Attempts that did not answer.' })
  failed!: number;

  @Field(() => [OutcomeCountType], { description: 'Failed attempts by how they ended (outcomes with none are left out).' })
  errors!: OutcomeCountType[];

  @Field(() => Int, { nullable: true, description: 'Median milliseconds to the provider’s status line.' })
  latencyP50Ms!: number | null;

  @Field(() => Int, { nullable: true })
  latencyP95Ms!: number | null;

  @Field(() => Int, { nullable: true, description: 'Median time to first token of the requests it answered.' })
  ttftP50Ms!: number | null;

  @Field(() => Float, { description: 'Integer micro-dollars of the requests it answered.' })
  costMicros!: number;

  @Field(() => [NodeCircuitType], {
    description: 'Nodes heard from in the last two minutes whose circuit for this target is open or half-open; empty: closed everywhere.',
  })
  circuits!: NodeCircuitType[];
}
