import { MAX_POLICY_TEXT, type PolicyFormat, type PolicyScope } from '@keyward/shared';
import { IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { PolicyFormatEnum, ScopeKindEnum } from './policy.type.js';

/** Printable text without control characters (notes end up in the audit trail and lists). */
const PRINTABLE = /^[^\p{Cc}]+$/u;

@InputType({ description: 'A new policy, written as JSON or YAML.' })
export class CreatePolicyInput {
  @Field(() => String, { description: 'The policy text (see the policy language reference).' })
  @Length(1, MAX_POLICY_TEXT)
  source!: string;

  @Field(() => PolicyFormatEnum, { nullable: true, description: 'Omitted: text starting with `{` is JSON, anything else YAML.' })
  @IsOptional()
  format?: PolicyFormat | null;

  @Field(() => Boolean, { defaultValue: true, description: 'False: published but not enforced until enabled.' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Why the policy was written; kept with version 1.' })
  @IsOptional()
  @Length(1, 500)
  @Matches(PRINTABLE, { message: 'must not contain control characters' })
  note?: string | null;
}

@InputType({ description: 'Where to attach a policy. `id` is required for TEAM and KEY; for ORG it may be omitted.' })
export class ScopeInput {
  @Field(() => ScopeKindEnum)
  kind!: PolicyScope;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  id?: string | null;
}

@InputType('PolicySampleMessageInput', { description: 'One message of the sample conversation.' })
export class PolicySampleMessageInput {
  @Field(() => String, { defaultValue: 'user' })
  role!: string;

  @Field(() => String)
  text!: string;
}

@InputType('PolicySampleToolCallInput', { description: 'A tool call, with its arguments as an object or as JSON text.' })
export class PolicySampleToolCallInput {
  @Field(() => String)
  name!: string;

  @Field(() => GraphQLJSON, { nullable: true })
  arguments?: unknown;
}

@InputType('PolicySampleResponseInput', { description: 'The model’s answer, to test response rules.' })
export class PolicySampleResponseInput {
  @Field(() => String, { nullable: true })
  text?: string | null;

  @Field(() => [PolicySampleToolCallInput], { nullable: true })
  toolCalls?: PolicySampleToolCallInput[] | null;
}

@InputType('PolicySampleInput', { description: 'A request to test a policy against; omitted fields take neutral defaults.' })
export class PolicySampleInput {
  @Field(() => String, { nullable: true, description: 'openai, anthropic, gemini or openai_compatible (default openai).' })
  provider?: string | null;

  @Field(() => String, { nullable: true, description: 'The API family the agent speaks: openai, anthropic or gemini (default openai).' })
  api?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. chat.completions, messages, generateContent (default chat.completions).' })
  endpoint?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => [PolicySampleMessageInput], { nullable: true })
  messages?: PolicySampleMessageInput[] | null;

  @Field(() => String, { nullable: true, description: 'The system prompt or instructions.' })
  system?: string | null;

  @Field(() => [String], { nullable: true, description: 'Names of the tools offered to the model.' })
  tools?: string[] | null;

  @Field(() => [PolicySampleToolCallInput], { nullable: true, description: 'Tool calls in the conversation history.' })
  toolCalls?: PolicySampleToolCallInput[] | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: '`x-keyward-*` headers, e.g. {"x-keyward-ticket": "CHG-1"}.' })
  headers?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  keyLabels?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  keyMetadata?: Record<string, unknown> | null;

  @Field(() => Int, { nullable: true })
  estimatedInputTokens?: number | null;

  @Field(() => Int, { nullable: true })
  maxOutputTokens?: number | null;

  @Field(() => Float, { nullable: true, description: 'Integer micro-dollars.' })
  estimatedCostMicros?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the request happens (default: now), for timeOfDay conditions.' })
  now?: Date | null;

  @Field(() => PolicySampleResponseInput, { nullable: true })
  response?: PolicySampleResponseInput | null;
}

@InputType({ description: 'A policy (its text, or a stored one by id) and a sample to run it against.' })
export class TestPolicyInput {
  @Field(() => String, { nullable: true, description: 'Policy text to test before saving it. Give this or policyId.' })
  @IsOptional()
  @Length(1, MAX_POLICY_TEXT)
  source?: string | null;

  @Field(() => PolicyFormatEnum, { nullable: true })
  @IsOptional()
  format?: PolicyFormat | null;

  @Field(() => ID, { nullable: true, description: 'A stored policy to test. Give this or source.' })
  @IsOptional()
  policyId?: string | null;

  @Field(() => Int, { nullable: true, description: 'With policyId: the version to test (default: the current one).' })
  @IsOptional()
  @Min(1)
  @Max(1_000_000)
  version?: number | null;

  @Field(() => PolicySampleInput)
  sample!: PolicySampleInput;
}
