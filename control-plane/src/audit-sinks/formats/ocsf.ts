import type { SinkRecord } from '../sink-batch.js';

/** OCSF schema version the events follow. */
const OCSF_VERSION = '1.1.0';
/** API Activity, in the Application Activity category. */
const CLASS_UID = 6003;
const CATEGORY_UID = 6;

/** API Activity's `activity_id` values. */
const ACTIVITY = { create: 1, read: 2, update: 3, delete: 4, other: 99 } as const;
const ACTIVITY_NAMES: Record<number, string> = { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' };

/** Decisions under which the model call went through. */
const PASSED = new Set(['allowed', 'redacted', 'approved']);

/**
 * An OCSF API Activity event (class 6003) for a chained row; the mapping is the table in the
 * README's audit section. A usage event is one call of a provider API through Keyward (activity
 * Create: each call creates a completion or embedding); an audit entry is one mutation of
 * Keyward's own API, its activity read from the mutation's verb. The chain position and hashes
 * travel in `metadata` and `unmapped`, so a SIEM can still verify the chain.
 */
export function ocsfApiActivity(record: SinkRecord): Record<string, unknown> {
  return record.chain === 'usage' ? usageActivity(record) : auditActivity(record);
}

function base(record: SinkRecord, activityId: number, time: string, ok: boolean): Record<string, unknown> {
  return {
    class_uid: CLASS_UID,
    class_name: 'API Activity',
    category_uid: CATEGORY_UID,
    category_name: 'Application Activity',
    activity_id: activityId,
    activity_name: ACTIVITY_NAMES[activityId],
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `API Activity: ${ACTIVITY_NAMES[activityId]}`,
    time: Date.parse(time),
    severity_id: ok ? 1 : 2,
    severity: ok ? 'Informational' : 'Low',
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : 'Failure',
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Keyward', vendor_name: 'Keyward' },
      uid: record.id,
      log_name: record.chain,
      sequence: record.seq,
      ...(record.test ? { labels: ['test'] } : {}),
    },
  };
}

/** The call's W3C trace id as OCSF's `metadata.correlation_uid`, so a SIEM joins it to the trace. */
function withCorrelation(event: Record<string, unknown>, traceId: unknown): Record<string, unknown> {
  if (typeof traceId !== 'string') return event;
  return { ...event, metadata: { ...(event.metadata as Record<string, unknown>), correlation_uid: traceId } };
}

function usageActivity(record: SinkRecord): Record<string, unknown> {
  const r = record.row as Record<string, any>;
  const ok = PASSED.has(r.decision) && (r.status === null || r.status < 400);
  return {
    ...withCorrelation(base(record, ACTIVITY.create, r.startedAt ?? r.receivedAt, ok), r.traceId),
    message: `${r.decision} ${r.api}.${r.endpoint} ${r.model ?? ''}`.trim(),
    status_code: r.status === null ? undefined : String(r.status),
    status_detail: r.errorCode ?? r.decision,
    duration: r.latencyMs ?? undefined,
    api: {
      operation: `${r.api}.${r.endpoint}`,
      service: { name: r.provider },
      request: { uid: r.requestId },
      response: { code: r.status ?? undefined, error: r.errorCode ?? undefined },
    },
    actor: {
      user: { uid: r.keyId, name: r.ownerLabel ?? undefined, type: 'Other', groups: r.teamId ? [{ uid: r.teamId }] : undefined },
      app_name: 'Keyward',
    },
    src_endpoint: { uid: r.clientIpHash ?? undefined, agent_list: r.userAgentHash ? [{ uid: r.userAgentHash }] : undefined },
    cloud: { provider: r.provider },
    unmapped: {
      chain: { seq: record.seq, hash: record.hash, prev_hash: record.prevHash },
      model: r.model,
      decision: r.decision,
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      cached_input_tokens: r.cachedInputTokens,
      cost_micros: r.costMicros,
      key_prefix: r.keyPrefix,
      credential_id: r.credentialId,
      node_id: r.nodeId,
      tags: r.tags,
      received_at: r.receivedAt,
    },
  };
}

function auditActivity(record: SinkRecord): Record<string, unknown> {
  const r = record.row as Record<string, any>;
  const [actorType, actorId] = String(r.actor).split(':', 2);
  return {
    ...base(record, activityOfMutation(String(r.action)), r.createdAt, r.outcome === 'success'),
    message: `${r.action} by ${r.actor}: ${r.outcome}`,
    status_detail: r.errorCode ?? undefined,
    api: {
      operation: r.action,
      service: { name: 'Keyward' },
      request: { uid: r.requestId ?? undefined },
      response: { error: r.errorCode ?? undefined },
    },
    actor: { user: { uid: actorId ?? actorType, type: actorType === 'user' ? 'User' : 'Other', type_id: actorType === 'user' ? 1 : 99 } },
    src_endpoint: { uid: r.ipHash ?? undefined },
    http_request: r.userAgent ? { user_agent: r.userAgent } : undefined,
    resources: r.targetId ? [{ uid: r.targetId }] : undefined,
    cloud: { provider: 'Keyward' },
    unmapped: { chain: { seq: record.seq, hash: record.hash, prev_hash: record.prevHash }, actor: r.actor, args: r.args, org_id: r.orgId },
  };
}

/** Create, Update or Delete from a mutation's leading verb (`createKey`, `rotateKey`, `deleteWebhook`); Other when none fits. */
function activityOfMutation(action: string): number {
  const verb = /^[a-z]+/.exec(action)?.[0] ?? '';
  if (['create', 'add', 'invite', 'issue', 'register', 'sign', 'start'].includes(verb)) return ACTIVITY.create;
  if (['update', 'set', 'rotate', 'rename', 'change', 'attach', 'detach', 'pause', 'resume', 'approve', 'reject', 'decide', 'rewrap', 'retry'].includes(verb)) {
    return ACTIVITY.update;
  }
  if (['delete', 'remove', 'revoke', 'discard', 'cancel'].includes(verb)) return ACTIVITY.delete;
  return ACTIVITY.other;
}
