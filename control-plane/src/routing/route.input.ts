import type { RouteStrategy } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';
import { RouteStrategyEnum } from './route.type.js';
import { ResponseCacheInput } from './response-cache.input.js';

@InputType({ description: 'A credential and provider model (with weight, timeout, retries), or another route by alias.' })
export class RouteTargetInput {
  @Field(() => ID, { nullable: true })
  credentialId?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { nullable: true, description: 'Another route’s alias instead of a credential and model.' })
  alias?: string | null;

  @Field(() => Int, { defaultValue: 1 })
  weight!: number;

  @Field(() => Int, { defaultValue: 30_000, description: 'Milliseconds to wait for the provider’s status line.' })
  timeoutMs!: number;

  @Field(() => Int, { defaultValue: 1, description: 'Retries on this target before falling back to the next.' })
  maxRetries!: number;

  @Field(() => Int, { nullable: true, description: 'The model’s context window in tokens: larger requests skip this target.' })
  contextTokens?: number | null;
}

@InputType({ description: 'A policy-language condition and the strategy used when it holds.' })
export class RouteRuleInput {
  @Field(() => GraphQLJSON, { description: 'A condition of the policy language, e.g. {"inputTokens": {"gt": 100000}}.' })
  when!: unknown;

  @Field(() => RouteStrategyEnum)
  strategy!: RouteStrategy;
}

@InputType({ description: 'When a target’s circuit opens and for how long.' })
export class BreakerSettingsInput {
  @Field(() => Int, { defaultValue: 5 })
  consecutiveFailures!: number;

  @Field(() => Int, { defaultValue: 50 })
  errorRatePercent!: number;

  @Field(() => Int, { defaultValue: 60 })
  windowSeconds!: number;

  @Field(() => Int, { defaultValue: 10 })
  minRequests!: number;

  @Field(() => Int, { defaultValue: 30 })
  openSeconds!: number;
}

@InputType({ description: 'A route: what it matches, how it orders its targets, and the targets.' })
export class RouteInput {
  @Field(() => String)
  name!: string;

  @Field(() => [String], { description: 'Model names, globs or aliases (e.g. "fast") this route answers.' })
  match!: string[];

  @Field(() => RouteStrategyEnum, { defaultValue: 'fallback' })
  strategy!: RouteStrategy;

  @Field(() => [RouteRuleInput], { defaultValue: [] })
  rules!: RouteRuleInput[];

  @Field(() => Int, { nullable: true, description: 'LOWEST_COST considers only targets whose observed p50 latency is at most this.' })
  maxLatencyMs?: number | null;

  @Field(() => BreakerSettingsInput, { nullable: true })
  breaker?: BreakerSettingsInput | null;

  @Field(() => [RouteTargetInput])
  targets!: RouteTargetInput[];

  @Field(() => ResponseCacheInput, { nullable: true, description: 'Answers identical requests through this route from the response cache; null: off.' })
  cache?: ResponseCacheInput | null;
}

@InputType('AgentRoleInput', { description: 'A role: its name (agents ask for `role:<name>`), system prompt, defaults and route.' })
export class RoleInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { defaultValue: '' })
  systemPrompt!: string;

  @Field(() => Number, { nullable: true })
  temperature?: number | null;

  @Field(() => Int, { nullable: true })
  maxTokens?: number | null;

  @Field(() => ID)
  routeId!: string;
}
