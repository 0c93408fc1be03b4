import type { ActionType, RulePhase, TerminalAction } from '@keyward/shared';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export const PolicyActionEnum = { ALLOW: 'allow', BLOCK: 'block', REDACT: 'redact', HOLD: 'hold', LOG: 'log' } as const;
registerEnumType(PolicyActionEnum, { name: 'PolicyAction', description: 'What a policy rule does when it matches.' });

export const RulePhaseEnum = { REQUEST: 'request', RESPONSE: 'response' } as const;
registerEnumType(RulePhaseEnum, { name: 'RulePhase', description: 'REQUEST rules inspect the request, RESPONSE rules the answer.' });

@ObjectType('PolicyBlock', { description: 'What a blocked agent receives.' })
export class PolicyBlockType {
  @Field(() => Int)
  status!: number;

  @Field(() => String)
  message!: string;
}

@ObjectType('PolicyHold', { description: 'How long a held request waits, and what happens when nobody decides.' })
export class PolicyHoldType {
  @Field(() => Int)
  timeoutSeconds!: number;

  @Field(() => String, { description: '`allow` or `block`.' })
  onTimeout!: 'allow' | 'block';
}

@ObjectType('PolicyRuleMatch', { description: 'A rule that matched.' })
export class PolicyRuleMatchType {
  @Field(() => String)
  ruleId!: string;

  @Field(() => PolicyActionEnum)
  action!: ActionType;

  @Field(() => Boolean, { description: 'Reported, not enforced.' })
  shadow!: boolean;
}

@ObjectType('PolicyDecision', { description: 'What the policy alone decides for the sample.' })
export class PolicyDecisionType {
  @Field(() => PolicyActionEnum, { description: 'ALLOW, BLOCK or HOLD.' })
  action!: TerminalAction;

  @Field(() => PolicyBlockType, { nullable: true })
  block!: PolicyBlockType | null;

  @Field(() => PolicyHoldType, { nullable: true })
  hold!: PolicyHoldType | null;

  @Field(() => GraphQLJSON, { description: 'Redactions applied before forwarding: `[{ ruleId, detectors, patterns, replacement, restore }]`.' })
  redact!: unknown;

  @Field(() => [String], { description: 'Tags the usage event would carry.' })
  tags!: string[];

  @Field(() => [PolicyRuleMatchType], { description: 'Every matching rule, enforced and shadow, in evaluation order.' })
  matches!: PolicyRuleMatchType[];

  @Field(() => GraphQLJSON, { nullable: true, description: 'What the decision would be with shadow rules enforced; null unless a shadow rule matched.' })
  shadow!: unknown;
}

@ObjectType('PolicyRuleTrace', { description: "One rule's result on the sample, with the reason." })
export class PolicyRuleTraceType {
  @Field(() => String)
  ruleId!: string;

  @Field(() => Int, { description: 'Position in the policy, from 0.' })
  index!: number;

  @Field(() => RulePhaseEnum)
  on!: RulePhase;

  @Field(() => PolicyActionEnum)
  action!: ActionType;

  @Field(() => Boolean)
  shadow!: boolean;

  @Field(() => Boolean, { description: 'False when an earlier terminal rule ended the policy first (the rule had no effect).' })
  reached!: boolean;

  @Field(() => Boolean)
  matched!: boolean;

  @Field(() => String, { description: 'Why it matched or not.' })
  reason!: string;
}

@ObjectType('PolicyPhaseTest', { description: "One phase's rule results and decision." })
export class PolicyPhaseTestType {
  @Field(() => [PolicyRuleTraceType])
  rules!: PolicyRuleTraceType[];

  @Field(() => PolicyDecisionType)
  decision!: PolicyDecisionType;
}

@ObjectType('PolicyTestResult', { description: 'Every rule of a policy run against a sample request (and answer, when given).' })
export class PolicyTestResultType {
  @Field(() => PolicyPhaseTestType)
  request!: PolicyPhaseTestType;

  @Field(() => PolicyPhaseTestType, { nullable: true, description: 'Null unless the sample carries a response.' })
  response!: PolicyPhaseTestType | null;
}
