import {
  ANOMALY_REASON_CODES,
  ATTEMPT_OUTCOMES,
  type AnomalyReason,
  type AnomalyReasonCode,
  type ApiFamily,
  type AttemptOutcome,
  type AttemptRecord,
  type Decision,
  type HdpHopRecord,
  type MetaEntry,
  type PolicyMatchRecord,
  type ProviderKind,
  type TranscriptMessage,
  type TranscriptToolCall,
} from '@keyward/shared';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ProviderKindEnum } from '../credentials/credential.type.js';
import { PageInfo } from '../keys/paging.js';
import { PolicyActionEnum, RulePhaseEnum } from '../policies/policy-test.type.js';

export const DecisionEnum = {
  ALLOWED: 'allowed',
  REDACTED: 'redacted',
  BLOCKED: 'blocked',
  HELD: 'held',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  RATE_LIMITED: 'rate_limited',
  BUDGET_EXCEEDED: 'budget_exceeded',
  DENIED: 'denied',
  ERROR: 'error',
} as const satisfies Record<string, Decision>;
registerEnumType(DecisionEnum, {
  name: 'Decision',
  description: 'What happened to a request, from the agent’s point of view (DENIED: bad key, model not allowed, or a model without a price under a budget).',
});

@ObjectType('TranscriptToolCall', { description: 'A tool call a captured message made.' })
export class TranscriptToolCallType implements TranscriptToolCall {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Its arguments as JSON text.' })
  arguments!: string;
}

@ObjectType('TranscriptMessage', { description: 'One message of a captured conversation.' })
export class TranscriptMessageType implements TranscriptMessage {
  @Field(() => String, { description: 'system, user, assistant, tool (a tool’s result), or the API’s own role name.' })
  role!: string;

  @Field(() => String)
  text!: string;

  @Field(() => [TranscriptToolCallType])
  toolCalls!: TranscriptToolCallType[];

  @Field(() => Int, { description: 'Images and other media parts the message carried (never stored).' })
  images!: number;
}

@ObjectType({ description: 'Prompt and completion text, present only when the organization captures content.' })
export class UsageEventContentType {
  @Field(() => String)
  request!: string;

  @Field(() => String)
  response!: string;

  @Field(() => [TranscriptMessageType], {
    nullable: true,
    description: 'The conversation sent upstream (after redaction) and the answer, message by message; null for events of nodes that did not record it.',
  })
  messages!: TranscriptMessageType[] | null;
}

@ObjectType('PolicyMatch', { description: 'A policy rule that matched a request or its answer.' })
export class PolicyMatchType implements PolicyMatchRecord {
  @Field(() => ID)
  policyId!: string;

  @Field(() => Int, { description: 'The policy version that was in force.' })
  policyVersion!: number;

  @Field(() => String)
  ruleId!: string;

  @Field(() => PolicyActionEnum)
  action!: PolicyMatchRecord['action'];

  @Field(() => RulePhaseEnum)
  phase!: PolicyMatchRecord['phase'];

  @Field(() => Boolean, { description: 'Recorded, not enforced: the rule or its policy runs in shadow mode.' })
  shadow!: boolean;
}

export const AttemptOutcomeEnum = Object.fromEntries(ATTEMPT_OUTCOMES.map((o) => [o.toUpperCase(), o])) as {
  readonly [K in AttemptOutcome as Uppercase<K>]: K;
};
registerEnumType(AttemptOutcomeEnum, { name: 'AttemptOutcome', description: 'How one upstream attempt of a request ended.' });

@ObjectType('HdpHop', { description: 'One hop of a verified HDP delegation chain: the agent that took the delegation.' })
export class HdpHopType implements HdpHopRecord {
  @Field(() => String)
  agentId!: string;

  @Field(() => String, { description: 'orchestrator, sub-agent, tool-executor or custom.' })
  agentType!: string;
}

@ObjectType('MetaEntry', { description: 'One `x-keyward-meta-<name>` header of a request: its name (lower case) and value.' })
export class MetaEntryType implements MetaEntry {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType('Attempt', { description: 'One upstream attempt of a request: the target tried and how it ended.' })
export class AttemptType implements AttemptRecord {
  @Field(() => ID)
  credentialId!: string;

  @Field(() => String, { description: 'The provider model sent upstream.' })
  model!: string;

  @Field(() => AttemptOutcomeEnum)
  outcome!: AttemptOutcome;

  @Field(() => Int, { nullable: true, description: 'The provider’s status, when one arrived.' })
  status!: number | null;

  @Field(() => Int)
  latencyMs!: number;
}

@ObjectType('AnomalyReason', { description: 'One reason a request scored as anomalous.' })
export class AnomalyReasonType implements AnomalyReason {
  @Field(() => String, { description: `What raised the score: ${ANOMALY_REASON_CODES.join(', ')}.` })
  code!: AnomalyReasonCode;

  @Field(() => String, { description: 'In words, e.g. "spend 14× the key\'s usual rate for Tuesday 10:00".' })
  message!: string;
}

@ObjectType('UsageEvent', { description: 'One request that went through a data-plane node.' })
export class UsageEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  keyId!: string;

  @Field(() => String)
  keyPrefix!: string;

  @Field(() => String)
  ownerLabel!: string;

  @Field(() => ID, { nullable: true })
  teamId!: string | null;

  @Field(() => ProviderKindEnum, { nullable: true })
  provider!: ProviderKind | null;

  @Field(() => ID, { nullable: true })
  credentialId!: string | null;

  @Field(() => String, { description: 'The API family the agent spoke (openai, anthropic, gemini), or mcp for a tool call through an MCP server.' })
  api!: ApiFamily;

  @Field(() => String)
  endpoint!: string;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => Boolean)
  stream!: boolean;

  @Field(() => Int, { description: 'HTTP status returned to the agent.' })
  status!: number;

  @Field(() => DecisionEnum)
  decision!: Decision;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { description: 'When the control plane stored the event.' })
  receivedAt!: Date;

  @Field(() => Float)
  latencyMs!: number;

  @Field(() => Float, { nullable: true, description: 'Time to first token.' })
  ttftMs!: number | null;

  @Field(() => Float)
  inputTokens!: number;

  @Field(() => Float)
  outputTokens!: number;

  @Field(() => Float)
  cachedInputTokens!: number;

  @Field(() => Float, { description: 'Integer micro-dollars.' })
  costMicros!: number;

  @Field(() => String, { description: 'Salted hash of the client address.' })
  clientIpHash!: string;

  @Field(() => String, { description: 'Salted hash of the user agent.' })
  userAgentHash!: string;

  @Field(() => String)
  requestId!: string;

  @Field(() => String)
  nodeId!: string;

  @Field(() => [String])
  tags!: string[];

  @Field(() => [PolicyMatchType], { description: 'Every policy rule that matched, shadow matches included.' })
  policyMatches!: PolicyMatchType[];

  @Field(() => ID, { nullable: true, description: 'The approval request the call waited on, when it was held.' })
  approvalId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The route that chose the credential, when one applied.' })
  routeId!: string | null;

  @Field(() => [AttemptType], { description: 'Every upstream attempt in order; the last one answered or failed the request.' })
  attempts!: AttemptType[];

  @Field(() => UsageEventContentType, { nullable: true })
  content!: UsageEventContentType | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "When content retention removed the event's prompt and completion text (`content` is null since); null while it is kept or was never captured.",
  })
  contentPurgedAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: "The W3C trace id: of the data plane's spans when it exports OpenTelemetry traces, else of the agent's traceparent.",
  })
  traceId!: string | null;

  @Field(() => Boolean, { description: 'True when the response cache answered: no provider was called and the event costs nothing.' })
  cacheHit!: boolean;

  // Anomaly scoring.

  @Field(() => String, { nullable: true, description: 'Salted hash of the user agent without its version numbers.' })
  userAgentFamilyHash!: string | null;

  @Field(() => [String], { description: 'Names of the tools the request offered the model.' })
  toolsOffered!: string[];

  @Field(() => Int, { nullable: true, description: 'The anomaly score the node gave the request, 0–100; null for events of nodes that do not score.' })
  anomalyScore!: number | null;

  @Field(() => [AnomalyReasonType], { description: 'Why the request scored so, strongest first.' })
  anomalyReasons!: AnomalyReasonType[];

  @Field(() => String, { nullable: true, description: 'What the score set off (record, notify, hold, freeze); null below the key’s threshold.' })
  anomalyAction!: string | null;

  @Field(() => String, { nullable: true, description: 'The MCP server of a tool call (api "mcp"); null for model calls.' })
  mcpServer!: string | null;

  @Field(() => String, { nullable: true, description: 'The tool a tools/call named; null for model calls.' })
  mcpTool!: string | null;

  @Field(() => Float, { nullable: true, description: "Bytes of the tool's result as the MCP server sent it; null when none arrived." })
  resultBytes!: number | null;
  // HDP delegation provenance.

  @Field(() => String, {
    nullable: true,
    description:
      'What the X-HDP-Token header proved: absent, valid, or the reason code the token was refused with (expired, root_signature_invalid…); null when the request ended before the check.',
  })
  hdpResult!: string | null;

  @Field(() => String, { nullable: true, description: 'The verified HDP token id.' })
  hdpTokenId!: string | null;

  @Field(() => String, { nullable: true, description: 'The human who authorized the agent, as the verified token names them.' })
  hdpPrincipalId!: string | null;

  @Field(() => String, { nullable: true, description: 'The principal’s id type: email, uuid, did, poh or opaque.' })
  hdpPrincipalType!: string | null;

  @Field(() => [HdpHopType], {
    description: 'The verified delegation chain, from the principal’s first agent to the calling one; empty without a verified token.',
  })
  hdpChain!: HdpHopType[];
  // Latency breakdown.

  @Field(() => Float, {
    nullable: true,
    description: 'Keyward’s own time: the latency less the time spent waiting on providers (holds for approval and retry waits included).',
  })
  gatewayMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'From sending the answering attempt to the first byte of its body; null when no provider answered.' })
  upstreamTtfbMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'From the answer’s first byte to its last; null when no provider answered.' })
  streamMs!: number | null;
  // Custom metadata.

  @Field(() => [MetaEntryType], { description: 'The request’s `x-keyward-meta-<name>` headers, in the order they came (at most 16).' })
  meta!: MetaEntryType[];

  @Field(() => Int, {
    nullable: true,
    description: 'Metadata headers left out: beyond 16, or with a name over 64 or a value over 256 characters; null for events of older nodes.',
  })
  metaDropped!: number | null;
}

/** A stored event as subscriptions carry it: the GraphQL view plus its organization. */
export interface UsageEventMessage extends UsageEventType {
  readonly orgId: string;
}

@ObjectType({ description: 'A page of usage events, newest first.' })
export class UsageEventConnection {
  @Field(() => [UsageEventType])
  nodes!: UsageEventType[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
