import { ROUTE_STRATEGIES, type RouteStrategy } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PolicyScopeType } from '../policies/policy.type.js';
import { ResponseCacheType } from './response-cache.type.js';

export const RouteStrategyEnum = Object.fromEntries(ROUTE_STRATEGIES.map((s) => [s.toUpperCase(), s])) as { readonly [K in RouteStrategy as Uppercase<K>]: K };
registerEnumType(RouteStrategyEnum, {
  name: 'RouteStrategy',
  description:
    'How a route orders its targets: FALLBACK in order; WEIGHTED random by weight; LEAST_OUTSTANDING requests in flight; LOWEST_LATENCY observed p50 (with exploration); LOWEST_COST for the request among targets within maxLatencyMs and their context window.',
});

@ObjectType('RouteTarget', { description: 'A credential and the provider model to call there, or another route by alias.' })
export class RouteTargetType {
  @Field(() => ID, { nullable: true })
  credentialId!: string | null;

  @Field(() => String, { nullable: true, description: 'The provider model sent upstream.' })
  model!: string | null;

  @Field(() => String, { nullable: true, description: 'Another route’s alias, whose targets take this place.' })
  alias!: string | null;

  @Field(() => Int, { nullable: true })
  weight!: number | null;

  @Field(() => Int, { nullable: true, description: 'Milliseconds to wait for the provider’s status line.' })
  timeoutMs!: number | null;

  @Field(() => Int, { nullable: true })
  maxRetries!: number | null;

  @Field(() => Int, { nullable: true, description: 'The model’s context window in tokens, when known.' })
  contextTokens!: number | null;
}

@ObjectType('RouteRule', { description: 'A policy-language condition and the strategy used when it holds.' })
export class RouteRuleType {
  @Field(() => GraphQLJSON)
  when!: unknown;

  @Field(() => RouteStrategyEnum)
  strategy!: RouteStrategy;
}

@ObjectType('CircuitBreakerSettings', { description: 'When a target’s circuit opens and for how long.' })
export class BreakerSettingsType {
  @Field(() => Int)
  consecutiveFailures!: number;

  @Field(() => Int)
  errorRatePercent!: number;

  @Field(() => Int)
  windowSeconds!: number;

  @Field(() => Int)
  minRequests!: number;

  @Field(() => Int)
  openSeconds!: number;
}

@ObjectType('RouteVersion', { description: 'One stored version of a route.' })
export class RouteVersionType {
  @Field(() => Int)
  version!: number;

  @Field(() => GraphQLJSON, { description: 'The route document as validated.' })
  document!: unknown;

  @Field(() => String)
  changedBy!: string;

  @Field(() => String, { nullable: true })
  note!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('Route', { description: 'Maps what agents ask for (model names, globs, aliases) to an ordered or weighted list of targets.' })
export class RouteType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  currentVersion!: number;

  @Field(() => [String], { description: 'Model names, globs or aliases this route answers.' })
  match!: string[];

  @Field(() => RouteStrategyEnum)
  strategy!: RouteStrategy;

  @Field(() => [RouteRuleType], { description: 'The first rule whose condition holds picks the strategy.' })
  rules!: RouteRuleType[];

  @Field(() => Int, { nullable: true })
  maxLatencyMs!: number | null;

  @Field(() => BreakerSettingsType)
  breaker!: BreakerSettingsType;

  @Field(() => [RouteTargetType])
  targets!: RouteTargetType[];

  @Field(() => ResponseCacheType, { nullable: true, description: 'The response cache of requests through this route; null: off.' })
  cache!: ResponseCacheType | null;

  @Field(() => [PolicyScopeType], { description: 'Where the route is bound: the organization, teams or keys.' })
  bindings!: PolicyScopeType[];

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType('AgentRole', { description: 'A named role: `model: "role:<name>"` prepends its system prompt, fills its defaults and uses its route.' })
export class RoleType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  systemPrompt!: string;

  @Field(() => Number, { nullable: true })
  temperature!: number | null;

  @Field(() => Int, { nullable: true })
  maxTokens!: number | null;

  @Field(() => ID)
  routeId!: string;
}
