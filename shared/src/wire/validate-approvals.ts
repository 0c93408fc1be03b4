/**
 * Validators for the approval messages between a data-plane node and the control plane
 * (`approvals.ts`), in the style of `validate.ts`: hand-written, and on failure one `WireError`
 * sentence naming the field path (`approval request "reason.ruleId" must be a non-empty string`).
 * The control plane runs requests and outcomes through them before storing anything; nodes run
 * every decision they receive through `validateApprovalDecision`.
 *
 * Unknown fields are ignored, so either side may add one without breaking the other.
 */
import type { ApprovalDecisionMessage, ApprovalOutcomeMessage, ApprovalRequestMessage, ApprovalSummary } from './approvals.js';
import { arrayOf, child, count, FieldError, isoDateTime, nonEmptyString, nullable, object, oneOf, string, uuid } from './field-checks.js';
import { EVENT_APIS } from './events.js';
import { WireError } from './validate.js';

/** Every decision a person (or the expiry sweeper) can send a node. */
export const APPROVAL_DECISIONS: readonly ApprovalDecisionMessage['decision'][] = ['approved', 'rejected', 'expired'];

/** Every outcome a node can report for a held request. */
export const APPROVAL_OUTCOMES: readonly ApprovalOutcomeMessage['outcome'][] = [
  'forwarded',
  'rejected',
  'timed_out_allowed',
  'timed_out_blocked',
  'client_gone',
  'node_restarted',
];

/** Validates an approval request posted by a node (`POST /v1/node/approvals`). */
export function validateApprovalRequest(val: unknown): ApprovalRequestMessage {
  return run('approval request', () => {
    const message = object(val, '');
    uuid(message.id, 'id');
    uuid(message.orgId, 'orgId');
    uuid(message.keyId, 'keyId');
    nonEmptyString(message.nodeId, 'nodeId');
    nonEmptyString(message.requestId, 'requestId');
    oneOf(message.phase, 'phase', ['request', 'response'] as const);
    holdReason(message.reason, 'reason');
    oneOf(message.api, 'api', EVENT_APIS);
    nonEmptyString(message.endpoint, 'endpoint');
    nullable(message.model, 'model', nonEmptyString);
    isoDateTime(message.expiresAt, 'expiresAt');
    oneOf(message.onTimeout, 'onTimeout', ['allow', 'block'] as const);
    summary(message.summary, 'summary');
    return val as ApprovalRequestMessage;
  });
}

/** Validates a decision received on the `approvalDecisions` subscription. */
export function validateApprovalDecision(val: unknown): ApprovalDecisionMessage {
  return run('approval decision', () => {
    const message = object(val, '');
    uuid(message.approvalId, 'approvalId');
    const decision = oneOf(message.decision, 'decision', APPROVAL_DECISIONS);
    nullable(message.reason, 'reason', string);
    const decidedBy = nullable(message.decidedBy, 'decidedBy', nonEmptyString);
    // An expiry has no author and a person's decision always has one; a mix means a bug upstream.
    if (decision === 'expired' && decidedBy !== null) throw new FieldError('decidedBy', 'must be null when "decision" is "expired"');
    if (decision !== 'expired' && decidedBy === null) throw new FieldError('decidedBy', `must name who decided when "decision" is "${decision}"`);
    return val as ApprovalDecisionMessage;
  });
}

/** Validates the outcome a node reports once a held request was forwarded or refused. */
export function validateApprovalOutcome(val: unknown): ApprovalOutcomeMessage {
  return run('approval outcome', () => {
    const message = object(val, '');
    oneOf(message.outcome, 'outcome', APPROVAL_OUTCOMES);
    return val as ApprovalOutcomeMessage;
  });
}

function run<T>(what: string, validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    if (err.path === '') throw new WireError(`${what} ${err.expectation}`);
    throw new WireError(`${what} "${err.path}" ${err.expectation}`);
  }
}

function holdReason(value: unknown, path: string): ApprovalRequestMessage['reason'] {
  const reason = object(value, path);
  const kind = oneOf(reason.kind, child(path, 'kind'), ['policy', 'budget', 'anomaly'] as const);
  if (kind === 'policy') {
    uuid(reason.policyId, child(path, 'policyId'));
    count(reason.policyVersion, child(path, 'policyVersion'));
    nonEmptyString(reason.ruleId, child(path, 'ruleId'));
  } else if (kind === 'budget') {
    uuid(reason.budgetId, child(path, 'budgetId'));
  }
  return reason as unknown as ApprovalRequestMessage['reason'];
}

function summary(value: unknown, path: string): ApprovalSummary {
  const s = object(value, path);
  arrayOf(s.messages, child(path, 'messages'), (m, p) => {
    const message = object(m, p);
    string(message.role, child(p, 'role'));
    string(message.text, child(p, 'text'));
    return message;
  });
  arrayOf(s.toolCalls, child(path, 'toolCalls'), (c, p) => {
    const call = object(c, p);
    nonEmptyString(call.name, child(p, 'name'));
    string(call.arguments, child(p, 'arguments'));
    return call;
  });
  return s as unknown as ApprovalSummary;
}
