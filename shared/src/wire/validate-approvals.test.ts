import { describe, expect, it } from 'vitest';
import type { ApprovalDecisionMessage, ApprovalRequestMessage } from './approvals.js';
import { validateApprovalDecision, validateApprovalOutcome, validateApprovalRequest } from './validate-approvals.js';
import { WireError } from './validate.js';

const request: ApprovalRequestMessage = {
  id: '0190f3a1-7c2e-7a10-8b00-0000000000a1',
  orgId: '0190f3a1-7c2e-7a10-8b00-000000000001',
  keyId: '0190f3a1-7c2e-7a10-8b00-000000000002',
  nodeId: 'dp-eu-1',
  requestId: 'req_123',
  phase: 'request',
  reason: { kind: 'policy', policyId: '0190f3a1-7c2e-7a10-8b00-000000000003', policyVersion: 4, ruleId: 'off-hours-shell' },
  api: 'openai',
  endpoint: 'chat.completions',
  model: 'gpt-4o',
  expiresAt: '2025-06-01T12:05:00.000Z',
  onTimeout: 'block',
  summary: {
    messages: [{ role: 'user', text: 'Delete the staging database, my email is [EMAIL_1]' }],
    toolCalls: [{ name: 'shell_exec', arguments: '{"command":"rm -rf /srv"}' }],
  },
};

const decision: ApprovalDecisionMessage = {
  approvalId: request.id,
  decision: 'approved',
  reason: 'Change ticket CHG-42',
  decidedBy: 'user:0190f3a1-7c2e-7a10-8b00-0000000000ff',
};

/** A deep copy with one change applied, so each case breaks exactly one field. */
function tweak<T>(value: T, change: (copy: any) => void): unknown {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return (err as Error).message;
  }
  throw new Error('expected a WireError');
}

describe('approval request validation', () => {
  it('accepts a request held by a policy rule and returns it unchanged', () => {
    expect(validateApprovalRequest(request)).toBe(request);
  });

  it('accepts a request held by a budget, with no model and an empty summary', () => {
    const held = tweak(request, (r) => {
      r.reason = { kind: 'budget', budgetId: '0190f3a1-7c2e-7a10-8b00-000000000004' };
      r.model = null;
      r.phase = 'response';
      r.summary = { messages: [], toolCalls: [] };
    });
    expect(() => validateApprovalRequest(held)).not.toThrow();
  });

  it('ignores fields it does not know, so a newer node can add some', () => {
    expect(() => validateApprovalRequest(tweak(request, (r) => (r.priority = 'high')))).not.toThrow();
  });

  it.each([
    ['a non-object', 'held', 'approval request must be an object'],
    ['a non-UUID id', tweak(request, (r) => (r.id = 'abc')), 'approval request "id" must be a UUID'],
    ['a missing key', tweak(request, (r) => delete r.keyId), 'approval request "keyId" is missing'],
    ['an empty node id', tweak(request, (r) => (r.nodeId = '')), 'approval request "nodeId" must be a non-empty string'],
    ['an unknown phase', tweak(request, (r) => (r.phase = 'stream')), 'approval request "phase" must be one of "request", "response"'],
    ['an unknown reason kind', tweak(request, (r) => (r.reason.kind = 'rate')), 'approval request "reason.kind" must be one of "policy", "budget", "anomaly"'],
    ['a policy reason without a rule', tweak(request, (r) => delete r.reason.ruleId), 'approval request "reason.ruleId" is missing'],
    [
      'a fractional policy version',
      tweak(request, (r) => (r.reason.policyVersion = 1.5)),
      'approval request "reason.policyVersion" must be a non-negative integer',
    ],
    ['a budget reason with a bad id', tweak(request, (r) => (r.reason = { kind: 'budget', budgetId: 7 })), 'approval request "reason.budgetId" must be a UUID'],
    ['an unknown API family', tweak(request, (r) => (r.api = 'cohere')), 'approval request "api" must be one of "openai", "anthropic", "gemini", "mcp"'],
    ['an empty model', tweak(request, (r) => (r.model = '')), 'approval request "model" must be null or a non-empty string'],
    [
      'an expiry without a zone',
      tweak(request, (r) => (r.expiresAt = '2025-06-01 12:05')),
      'approval request "expiresAt" must be an ISO 8601 date-time such as 2025-06-01T12:00:00Z',
    ],
    ['an unknown timeout action', tweak(request, (r) => (r.onTimeout = 'retry')), 'approval request "onTimeout" must be one of "allow", "block"'],
    ['a summary message without text', tweak(request, (r) => delete r.summary.messages[0].text), 'approval request "summary.messages[0].text" is missing'],
    [
      'tool-call arguments as an object',
      tweak(request, (r) => (r.summary.toolCalls[0].arguments = { command: 'ls' })),
      'approval request "summary.toolCalls[0].arguments" must be a string',
    ],
    ['a missing summary', tweak(request, (r) => delete r.summary), 'approval request "summary" is missing'],
  ])('rejects %s with a sentence naming the field', (_case, input, message) => {
    expect(messageOf(() => validateApprovalRequest(input))).toBe(message);
  });
});

describe('approval decision validation', () => {
  it('accepts a person’s decision and an expiry', () => {
    expect(validateApprovalDecision(decision)).toBe(decision);
    const expired = { approvalId: request.id, decision: 'expired', reason: null, decidedBy: null };
    expect(validateApprovalDecision(expired)).toBe(expired);
  });

  it.each([
    ['an unknown decision', tweak(decision, (d) => (d.decision = 'maybe')), 'approval decision "decision" must be one of "approved", "rejected", "expired"'],
    ['a non-string reason', tweak(decision, (d) => (d.reason = 5)), 'approval decision "reason" must be null or a string'],
    ['an expiry with an author', tweak(decision, (d) => (d.decision = 'expired')), 'approval decision "decidedBy" must be null when "decision" is "expired"'],
    [
      'a rejection without an author',
      tweak(decision, (d) => ((d.decision = 'rejected'), (d.decidedBy = null))),
      'approval decision "decidedBy" must name who decided when "decision" is "rejected"',
    ],
    ['a bad approval id', tweak(decision, (d) => (d.approvalId = 'req_123')), 'approval decision "approvalId" must be a UUID'],
  ])('rejects %s with a sentence naming the field', (_case, input, message) => {
    expect(messageOf(() => validateApprovalDecision(input))).toBe(message);
  });
});

describe('approval outcome validation', () => {
  it.each(['forwarded', 'rejected', 'timed_out_allowed', 'timed_out_blocked', 'client_gone', 'node_restarted'])('accepts the outcome %s', (outcome) => {
    expect(validateApprovalOutcome({ outcome })).toEqual({ outcome });
  });

  it('rejects an unknown outcome and a body that is not an object', () => {
    expect(messageOf(() => validateApprovalOutcome({ outcome: 'approved' }))).toBe(
      'approval outcome "outcome" must be one of "forwarded", "rejected", "timed_out_allowed", "timed_out_blocked", "client_gone", "node_restarted"',
    );
    expect(messageOf(() => validateApprovalOutcome([]))).toBe('approval outcome must be an object');
  });
});
