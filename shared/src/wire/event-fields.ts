/**
 * The one definition of a usage event's fields. The wire validator, the control plane's insert
 * statement, its row mapping and the stored column list are derived from this table; the
 * GraphQL type, the entity and the console's fragment are checked against it by tests, so a
 * field added here that one of them misses fails the build's tests instead of being dropped.
 */
import { ANOMALY_ACTIONS } from '../anomaly/actions.js';
import { ANOMALY_REASON_CODES, type AnomalyReason } from '../anomaly/score.js';
import { PROVIDER_KINDS } from './config.js';
import {
  ATTEMPT_OUTCOMES,
  DECISIONS,
  EVENT_APIS,
  META_LIMITS,
  type AttemptRecord,
  type HdpHopRecord,
  type MetaEntry,
  type PolicyMatchRecord,
  type TranscriptMessage,
  type UsageEvent,
} from './events.js';
import {
  arrayOf,
  boolean,
  child,
  count,
  FieldError,
  hex,
  integerIn,
  isoDateTime,
  nonEmptyString,
  nullable,
  object,
  oneOf,
  string,
  uuid,
} from './field-checks.js';

/** PostgreSQL column types an event field can be stored as. */
export type EventColumnType = 'uuid' | 'text' | 'boolean' | 'smallint' | 'bigint' | 'timestamptz' | 'jsonb';

/** Checks one wire value and throws `FieldError` naming `path` when it is wrong. */
export type EventFieldCheck = (value: unknown, path: string) => unknown;

export interface EventFieldSpec {
  /** Name on the wire, in GraphQL and on the entity. */
  readonly name: string;
  /** Column in `usage_events`. */
  readonly column: string;
  readonly columnType: EventColumnType;
  readonly check: EventFieldCheck;
  /** Older nodes may leave the field out; it is then stored empty (null, or `[]` for a list). */
  readonly optional?: boolean;
  /** A JSON array: stored and read back as `[]` when absent. */
  readonly list?: boolean;
  /** Prompt or answer text: stored only for organizations with content capture on. */
  readonly content?: boolean;
  /** Shown through the GraphQL `UsageEvent` type (false for fields the type carries elsewhere). */
  readonly graphql: boolean;
  /**
   * Added after the audit chain began: left out of a row's canonical JSON while null (or, for a
   * list, empty; for a boolean, false), so rows chained before the field existed keep their hash.
   */
  readonly canonicalWhenSet?: boolean;
}

const nullableOf =
  (check: EventFieldCheck): EventFieldCheck =>
  (v, p) =>
    nullable(v, p, check);

function policyMatch(value: unknown, path: string): PolicyMatchRecord {
  const match = object(value, path);
  uuid(match.policyId, child(path, 'policyId'));
  count(match.policyVersion, child(path, 'policyVersion'));
  nonEmptyString(match.ruleId, child(path, 'ruleId'));
  oneOf(match.action, child(path, 'action'), ['allow', 'block', 'redact', 'hold', 'log'] as const);
  oneOf(match.phase, child(path, 'phase'), ['request', 'response', 'tool_call', 'tool_result'] as const);
  boolean(match.shadow, child(path, 'shadow'));
  return match as unknown as PolicyMatchRecord;
}

function attempt(value: unknown, path: string): AttemptRecord {
  const a = object(value, path);
  uuid(a.credentialId, child(path, 'credentialId'));
  nonEmptyString(a.model, child(path, 'model'));
  oneOf(a.outcome, child(path, 'outcome'), ATTEMPT_OUTCOMES);
  nullable(a.status, child(path, 'status'), (v, p) => integerIn(v, p, 100, 599));
  count(a.latencyMs, child(path, 'latencyMs'));
  return a as unknown as AttemptRecord;
}

function hdpHop(value: unknown, path: string): HdpHopRecord {
  const hop = object(value, path);
  nonEmptyString(hop.agentId, child(path, 'agentId'));
  nonEmptyString(hop.agentType, child(path, 'agentType'));
  return hop as unknown as HdpHopRecord;
}

function metaEntry(value: unknown, path: string): MetaEntry {
  const entry = object(value, path);
  if (nonEmptyString(entry.name, child(path, 'name')).length > META_LIMITS.nameChars) {
    throw new FieldError(child(path, 'name'), `must be at most ${META_LIMITS.nameChars} characters`);
  }
  if (string(entry.value, child(path, 'value')).length > META_LIMITS.valueChars) {
    throw new FieldError(child(path, 'value'), `must be at most ${META_LIMITS.valueChars} characters`);
  }
  return entry as unknown as MetaEntry;
}

function metaEntries(value: unknown, path: string): readonly MetaEntry[] {
  const entries = arrayOf(value, path, metaEntry);
  if (entries.length > META_LIMITS.entries) throw new FieldError(path, `must have at most ${META_LIMITS.entries} entries`);
  return entries;
}

function transcriptMessage(value: unknown, path: string): TranscriptMessage {
  const message = object(value, path);
  nonEmptyString(message.role, child(path, 'role'));
  string(message.text, child(path, 'text'));
  arrayOf(message.toolCalls, child(path, 'toolCalls'), (call, callPath) => {
    const c = object(call, callPath);
    string(c.name, child(callPath, 'name'));
    string(c.arguments, child(callPath, 'arguments'));
    return c;
  });
  count(message.images, child(path, 'images'));
  return message as unknown as TranscriptMessage;
}

function content(value: unknown, path: string): unknown {
  const text = object(value, path);
  string(text.request, child(path, 'request'));
  string(text.response, child(path, 'response'));
  if (text.messages !== undefined) arrayOf(text.messages, child(path, 'messages'), transcriptMessage);
  return text;
}

function anomalyReason(value: unknown, path: string): AnomalyReason {
  const reason = object(value, path);
  oneOf(reason.code, child(path, 'code'), ANOMALY_REASON_CODES);
  nonEmptyString(reason.message, child(path, 'message'));
  return reason as unknown as AnomalyReason;
}

/** Every field of a usage event, in column order. */
export const USAGE_EVENT_FIELDS = [
  { name: 'id', column: 'id', columnType: 'uuid', check: uuid, graphql: true },
  { name: 'orgId', column: 'organization_id', columnType: 'uuid', check: uuid, graphql: false },
  { name: 'keyId', column: 'key_id', columnType: 'uuid', check: uuid, graphql: true },
  { name: 'keyPrefix', column: 'key_prefix', columnType: 'text', check: nonEmptyString, graphql: true },
  { name: 'ownerLabel', column: 'owner_label', columnType: 'text', check: string, graphql: true },
  { name: 'teamId', column: 'team_id', columnType: 'uuid', check: nullableOf(uuid), graphql: true },
  { name: 'provider', column: 'provider', columnType: 'text', check: nullableOf((v, p) => oneOf(v, p, PROVIDER_KINDS)), graphql: true },
  { name: 'credentialId', column: 'credential_id', columnType: 'uuid', check: nullableOf(uuid), graphql: true },
  { name: 'api', column: 'api', columnType: 'text', check: (v, p) => oneOf(v, p, EVENT_APIS), graphql: true },
  { name: 'endpoint', column: 'endpoint', columnType: 'text', check: nonEmptyString, graphql: true },
  { name: 'model', column: 'model', columnType: 'text', check: nullableOf(nonEmptyString), graphql: true },
  { name: 'stream', column: 'stream', columnType: 'boolean', check: boolean, graphql: true },
  { name: 'status', column: 'status', columnType: 'smallint', check: (v, p) => integerIn(v, p, 100, 599), graphql: true },
  { name: 'decision', column: 'decision', columnType: 'text', check: (v, p) => oneOf(v, p, DECISIONS), graphql: true },
  { name: 'errorCode', column: 'error_code', columnType: 'text', check: nullableOf(nonEmptyString), graphql: true },
  { name: 'startedAt', column: 'started_at', columnType: 'timestamptz', check: isoDateTime, graphql: true },
  { name: 'latencyMs', column: 'latency_ms', columnType: 'bigint', check: count, graphql: true },
  { name: 'ttftMs', column: 'ttft_ms', columnType: 'bigint', check: nullableOf(count), graphql: true },
  { name: 'inputTokens', column: 'input_tokens', columnType: 'bigint', check: count, graphql: true },
  { name: 'outputTokens', column: 'output_tokens', columnType: 'bigint', check: count, graphql: true },
  { name: 'cachedInputTokens', column: 'cached_input_tokens', columnType: 'bigint', check: count, graphql: true },
  { name: 'costMicros', column: 'cost_micros', columnType: 'bigint', check: count, graphql: true },
  { name: 'clientIpHash', column: 'client_ip_hash', columnType: 'text', check: string, graphql: true },
  { name: 'userAgentHash', column: 'user_agent_hash', columnType: 'text', check: string, graphql: true },
  { name: 'requestId', column: 'request_id', columnType: 'text', check: nonEmptyString, graphql: true },
  { name: 'nodeId', column: 'node_id', columnType: 'text', check: nonEmptyString, graphql: true },
  { name: 'tags', column: 'tags', columnType: 'jsonb', check: (v, p) => arrayOf(v, p, string), list: true, graphql: true },
  {
    name: 'policyMatches',
    column: 'policy_matches',
    columnType: 'jsonb',
    check: (v, p) => arrayOf(v, p, policyMatch),
    optional: true,
    list: true,
    graphql: true,
  },
  { name: 'approvalId', column: 'approval_id', columnType: 'uuid', check: nullableOf(uuid), optional: true, graphql: true },
  { name: 'routeId', column: 'route_id', columnType: 'uuid', check: nullableOf(uuid), optional: true, canonicalWhenSet: true, graphql: true },
  {
    name: 'attempts',
    column: 'attempts',
    columnType: 'jsonb',
    check: (v, p) => arrayOf(v, p, attempt),
    optional: true,
    list: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  { name: 'content', column: 'content', columnType: 'jsonb', check: nullableOf(content), content: true, graphql: true },
  {
    name: 'traceId',
    column: 'trace_id',
    columnType: 'text',
    check: nullableOf((v, p) => hex(v, p, 32)),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  { name: 'cacheHit', column: 'cache_hit', columnType: 'boolean', check: boolean, optional: true, canonicalWhenSet: true, graphql: true },

  // Anomaly scoring: what baselines learn from and what the node scored (shared/src/anomaly).
  {
    name: 'userAgentFamilyHash',
    column: 'user_agent_family_hash',
    columnType: 'text',
    check: nullableOf(string),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'toolsOffered',
    column: 'tools_offered',
    columnType: 'jsonb',
    check: (v, p) => arrayOf(v, p, nonEmptyString),
    optional: true,
    list: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'anomalyScore',
    column: 'anomaly_score',
    columnType: 'smallint',
    check: nullableOf((v, p) => integerIn(v, p, 0, 100)),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'anomalyReasons',
    column: 'anomaly_reasons',
    columnType: 'jsonb',
    check: (v, p) => arrayOf(v, p, anomalyReason),
    optional: true,
    list: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'anomalyAction',
    column: 'anomaly_action',
    columnType: 'text',
    check: nullableOf((v, p) => oneOf(v, p, ANOMALY_ACTIONS)),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  { name: 'mcpServer', column: 'mcp_server', columnType: 'text', check: nullableOf(nonEmptyString), optional: true, canonicalWhenSet: true, graphql: true },
  { name: 'mcpTool', column: 'mcp_tool', columnType: 'text', check: nullableOf(nonEmptyString), optional: true, canonicalWhenSet: true, graphql: true },
  { name: 'resultBytes', column: 'result_bytes', columnType: 'bigint', check: nullableOf(count), optional: true, canonicalWhenSet: true, graphql: true },

  // HDP delegation provenance: what the X-HDP-Token header proved.
  { name: 'hdpResult', column: 'hdp_result', columnType: 'text', check: nullableOf(nonEmptyString), optional: true, canonicalWhenSet: true, graphql: true },
  { name: 'hdpTokenId', column: 'hdp_token_id', columnType: 'text', check: nullableOf(nonEmptyString), optional: true, canonicalWhenSet: true, graphql: true },
  {
    name: 'hdpPrincipalId',
    column: 'hdp_principal_id',
    columnType: 'text',
    check: nullableOf(nonEmptyString),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'hdpPrincipalType',
    column: 'hdp_principal_type',
    columnType: 'text',
    check: nullableOf(nonEmptyString),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
  {
    name: 'hdpChain',
    column: 'hdp_chain',
    columnType: 'jsonb',
    check: (v, p) => arrayOf(v, p, hdpHop),
    optional: true,
    list: true,
    canonicalWhenSet: true,
    graphql: true,
  },

  // Latency breakdown: where a request's time went.
  { name: 'gatewayMs', column: 'gateway_ms', columnType: 'bigint', check: nullableOf(count), optional: true, canonicalWhenSet: true, graphql: true },
  { name: 'upstreamTtfbMs', column: 'upstream_ttfb_ms', columnType: 'bigint', check: nullableOf(count), optional: true, canonicalWhenSet: true, graphql: true },
  { name: 'streamMs', column: 'stream_ms', columnType: 'bigint', check: nullableOf(count), optional: true, canonicalWhenSet: true, graphql: true },

  // Custom metadata: the request's `x-keyward-meta-<name>` headers.
  { name: 'meta', column: 'meta', columnType: 'jsonb', check: metaEntries, optional: true, list: true, canonicalWhenSet: true, graphql: true },
  {
    name: 'metaDropped',
    column: 'meta_dropped',
    columnType: 'smallint',
    check: nullableOf((v, p) => integerIn(v, p, 0, 32767)),
    optional: true,
    canonicalWhenSet: true,
    graphql: true,
  },
] as const satisfies readonly EventFieldSpec[];

/** The name of a usage-event field. */
export type UsageEventFieldName = (typeof USAGE_EVENT_FIELDS)[number]['name'];

// Compile-time proof that the table and the `UsageEvent` interface name the same fields.
const everyFieldInTable: [Exclude<keyof UsageEvent, UsageEventFieldName>] extends [never] ? true : never = true;
const everyTableFieldOnEvent: [Exclude<UsageEventFieldName, keyof UsageEvent>] extends [never] ? true : never = true;
void everyFieldInTable;
void everyTableFieldOnEvent;

/** Checks every field of one event against the table; throws `FieldError` at the first bad one. */
export function checkUsageEventFields(event: Record<string, unknown>, path: string, fields: readonly EventFieldSpec[] = USAGE_EVENT_FIELDS): void {
  for (const field of fields) {
    const value = event[field.name];
    if (value === undefined && field.optional) continue;
    field.check(value, child(path, field.name));
  }
}
