import type { RouteStrategy } from '@keyward/shared';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RouteStrategyEnum } from './route.type.js';

@ObjectType('RouteTestTarget', { description: 'One target of the route for the sample: its place in the order, or why it was left out.' })
export class RouteTestTargetType {
  @Field(() => ID)
  credentialId!: string;

  @Field(() => String, { description: 'The credential’s name.' })
  credentialName!: string;

  @Field(() => String)
  model!: string;

  @Field(() => String, { nullable: true, description: 'The route reached through an alias target, when the target came from another route.' })
  viaRoute!: string | null;

  @Field(() => Int, { nullable: true, description: 'Its place in the order the request would try (1 is the choice); null when left out.' })
  position!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the target is left out, e.g. a context window too small.' })
  skipped!: string | null;
}

@ObjectType('RouteTestResult', { description: 'Which route and target a sample request would take, and why, step by step.' })
export class RouteTestResultType {
  @Field(() => ID, { nullable: true, description: 'Null when no route answers: the key’s own credentials serve the model.' })
  routeId!: string | null;

  @Field(() => String, { nullable: true })
  routeName!: string | null;

  @Field(() => RouteStrategyEnum, { nullable: true })
  strategy!: RouteStrategy | null;

  @Field(() => RouteTestTargetType, { nullable: true, description: 'The target tried first; null when none fits.' })
  chosen!: RouteTestTargetType | null;

  @Field(() => [RouteTestTargetType], { description: 'Every target of the route (aliases expanded), in the order tried, left-out ones last.' })
  targets!: RouteTestTargetType[];

  @Field(() => [String], { description: 'The reasoning: binding or role, the entry matched, the rule that chose the strategy, the targets filtered.' })
  steps!: string[];
}
