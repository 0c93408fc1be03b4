import { BigIntType, Entity, Index, OptionalProps, Property } from '@mikro-orm/core';
import type {
  AnomalyAction,
  AnomalyReason,
  ApiFamily,
  AttemptRecord,
  Decision,
  HdpHopRecord,
  MetaEntry,
  PolicyMatchRecord,
  ProviderKind,
  TranscriptMessage,
} from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { CONTENT_SEARCH_INDEX } from './content-search.js';

/** Prompt and completion text, kept only for organizations with content capture on. */
export interface UsageEventContent {
  request: string;
  response: string;
  /** The conversation message by message (events of nodes that capture it). */
  messages?: TranscriptMessage[];
}

/**
 * One proxied request, as reported by a data-plane node. Append-only: the id is the node's
 * event id (UUID v7), inserted with `on conflict do nothing`, so a re-sent batch never counts
 * twice. Strings are `text` because a node's values are only shape-checked: an overlong model
 * name must not make a whole batch unstorable. `keyId` and `teamId` are plain columns, not foreign keys: an event must be storable
 * whatever happened to its key or team since. `createdAt` is when the control plane received it.
 */
@Entity({ tableName: 'usage_events' })
@Index({
  name: 'usage_events_org_time_idx',
  expression: 'create index "usage_events_org_time_idx" on "usage_events" ("organization_id", "started_at" desc, "id" desc)',
})
@Index({
  name: 'usage_events_key_time_idx',
  expression: 'create index "usage_events_key_time_idx" on "usage_events" ("organization_id", "key_id", "started_at" desc)',
})
@Index({
  name: 'usage_events_model_time_idx',
  expression: 'create index "usage_events_model_time_idx" on "usage_events" ("organization_id", "model", "started_at" desc)',
})
@Index({
  name: 'usage_events_policy_matches_idx',
  expression: 'create index "usage_events_policy_matches_idx" on "usage_events" using gin ("policy_matches" jsonb_path_ops)',
})
@Index({
  name: 'usage_events_decision_time_idx',
  expression: 'create index "usage_events_decision_time_idx" on "usage_events" ("organization_id", "decision", "started_at" desc)',
})
@Index({ name: 'usage_events_meta_idx', expression: 'create index "usage_events_meta_idx" on "usage_events" using gin ("meta" jsonb_path_ops)' })
@Index({ name: 'usage_events_tags_idx', expression: 'create index "usage_events_tags_idx" on "usage_events" using gin ("tags" jsonb_path_ops)' })
@Index({
  name: 'usage_events_request_id_idx',
  expression: 'create index "usage_events_request_id_idx" on "usage_events" ("organization_id", "request_id")',
})
@Index({
  name: 'usage_events_provider_time_idx',
  expression: 'create index "usage_events_provider_time_idx" on "usage_events" ("organization_id", "provider", "started_at" desc)',
})
@Index({ name: 'usage_events_content_search_idx', expression: CONTENT_SEARCH_INDEX })
export class UsageEventRecord extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'teamId'
    | 'provider'
    | 'credentialId'
    | 'model'
    | 'errorCode'
    | 'ttftMs'
    | 'tags'
    | 'policyMatches'
    | 'approvalId'
    | 'routeId'
    | 'attempts'
    | 'content'
    | 'traceId'
    | 'contentPurgedAt'
    | 'cacheHit'
    | 'userAgentFamilyHash'
    | 'toolsOffered'
    | 'anomalyScore'
    | 'anomalyReasons'
    | 'anomalyAction'
    | 'mcpServer'
    | 'mcpTool'
    | 'resultBytes'
    | 'hdpResult'
    | 'hdpTokenId'
    | 'hdpPrincipalId'
    | 'hdpPrincipalType'
    | 'hdpChain'
    | 'gatewayMs'
    | 'upstreamTtfbMs'
    | 'streamMs'
    | 'meta'
    | 'metaDropped';

  @Property({ type: 'uuid' })
  keyId!: string;

  @Property({ type: 'text' })
  keyPrefix!: string;

  @Property({ type: 'text' })
  ownerLabel!: string;

  @Property({ type: 'uuid', nullable: true })
  teamId: string | null = null;

  @Property({ type: 'text', nullable: true })
  provider: ProviderKind | null = null;

  @Property({ type: 'uuid', nullable: true })
  credentialId: string | null = null;

  @Property({ type: 'text' })
  api!: ApiFamily;

  @Property({ type: 'text' })
  endpoint!: string;

  @Property({ type: 'text', nullable: true })
  model: string | null = null;

  @Property({ type: 'boolean' })
  stream!: boolean;

  @Property({ type: 'smallint' })
  status!: number;

  @Property({ type: 'text' })
  decision!: Decision;

  @Property({ type: 'text', nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Property({ type: new BigIntType('number') })
  latencyMs!: number;

  @Property({ type: new BigIntType('number'), nullable: true })
  ttftMs: number | null = null;

  @Property({ type: new BigIntType('number') })
  inputTokens!: number;

  @Property({ type: new BigIntType('number') })
  outputTokens!: number;

  @Property({ type: new BigIntType('number') })
  cachedInputTokens!: number;

  /** Integer micro-dollars. */
  @Property({ type: new BigIntType('number') })
  costMicros!: number;

  @Property({ type: 'text' })
  clientIpHash!: string;

  @Property({ type: 'text' })
  userAgentHash!: string;

  @Property({ type: 'text' })
  requestId!: string;

  @Property({ type: 'text' })
  nodeId!: string;

  @Property({ type: 'json' })
  tags: string[] = [];

  /** Every policy rule that matched, enforced or in shadow mode, with the policy's version. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  policyMatches: PolicyMatchRecord[] = [];

  /** The approval request this call waited on, when a rule or budget held it. */
  @Property({ type: 'uuid', nullable: true })
  approvalId: string | null = null;

  /** The route that chose the credential, when one applied. */
  @Property({ type: 'uuid', nullable: true })
  routeId: string | null = null;

  /** Every upstream attempt in order. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  attempts: AttemptRecord[] = [];

  @Property({ type: 'json', nullable: true })
  content: UsageEventContent | null = null;

  /** The W3C trace id of the request's spans, or of the agent's `traceparent`. */
  @Property({ type: 'text', nullable: true })
  traceId: string | null = null;

  /** When content retention cleared `content` (`events/retention.ts`); the row's link still verifies by its digest. */
  @Property({ type: 'datetime', nullable: true })
  contentPurgedAt: Date | null = null;

  /** Answered from the response cache (no provider call, cost 0). */
  @Property({ type: 'boolean', default: false })
  cacheHit = false;

  // Anomaly scoring.

  /** Salted hash of the user agent without its version numbers. */
  @Property({ type: 'text', nullable: true })
  userAgentFamilyHash: string | null = null;

  /** Names of the tools the request offered the model. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  toolsOffered: string[] = [];

  /** The anomaly score the node gave the request, 0–100. */
  @Property({ type: 'smallint', nullable: true })
  anomalyScore: number | null = null;

  /** Why it scored so, strongest first. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  anomalyReasons: AnomalyReason[] = [];

  /** What the score set off: record, notify, hold or freeze; null below the key's threshold. */
  @Property({ type: 'text', nullable: true })
  anomalyAction: AnomalyAction | null = null;

  /** The MCP server of a tool call; null for model calls. */
  @Property({ type: 'text', nullable: true })
  mcpServer: string | null = null;

  /** The tool a `tools/call` named; null for model calls. */
  @Property({ type: 'text', nullable: true })
  mcpTool: string | null = null;

  /** Bytes of the tool's result as the server sent it; null when none arrived. */
  @Property({ type: new BigIntType('number'), nullable: true })
  resultBytes: number | null = null;
  // HDP delegation provenance: what the X-HDP-Token header proved.

  /** `absent`, `valid`, or the reason code the token was refused with. */
  @Property({ type: 'text', nullable: true })
  hdpResult: string | null = null;

  @Property({ type: 'text', nullable: true })
  hdpTokenId: string | null = null;

  /** The human who authorized the agent, as the verified token names them. */
  @Property({ type: 'text', nullable: true })
  hdpPrincipalId: string | null = null;

  @Property({ type: 'text', nullable: true })
  hdpPrincipalType: string | null = null;

  /** The verified delegation chain, hop by hop. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  hdpChain: HdpHopRecord[] = [];
  // Latency breakdown.

  /** Keyward's own time: the latency less the time spent waiting on providers. */
  @Property({ type: new BigIntType('number'), nullable: true })
  gatewayMs: number | null = null;

  /** From sending the answering attempt to the first byte of its body. */
  @Property({ type: new BigIntType('number'), nullable: true })
  upstreamTtfbMs: number | null = null;

  /** From the answer's first byte to its last. */
  @Property({ type: new BigIntType('number'), nullable: true })
  streamMs: number | null = null;
  // Custom metadata.

  /** The request's `x-keyward-meta-<name>` headers. */
  @Property({ type: 'json', default: "'[]'::jsonb" })
  meta: MetaEntry[] = [];

  /** Metadata headers left out (beyond the limits); null for events of older nodes. */
  @Property({ type: 'smallint', nullable: true })
  metaDropped: number | null = null;
}
