import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateApprovalDecision, validateApprovalOutcome, validateApprovalRequest } from '../wire/validate-approvals.js';
import { WireError } from '../wire/validate.js';
import { fuzzBudget } from './budget.js';

const VALIDATORS = { validateApprovalRequest, validateApprovalDecision, validateApprovalOutcome };

/** A field's value: usually a valid one, sometimes anything. */
const either = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: valid }, fc.jsonValue({ maxDepth: 1 }));
const uuid = fc.uuid({ version: 7 });
const name = fc.string({ minLength: 1, maxLength: 12 });
const reason = fc.oneof(
  fc.record({ kind: either(fc.constant('policy')), policyId: either(uuid), policyVersion: either(fc.nat()), ruleId: either(name) }, { requiredKeys: [] }),
  fc.record({ kind: either(fc.constantFrom('budget', 'anomaly', 'x')), budgetId: either(uuid) }, { requiredKeys: [] }),
);
/** Messages near the three approval shapes, so generation reaches the inner checks, plus any JSON. */
const message = fc.oneof(
  fc.record(
    {
      id: either(uuid),
      orgId: either(uuid),
      keyId: either(uuid),
      nodeId: either(name),
      requestId: either(name),
      phase: either(fc.constantFrom('request', 'response')),
      reason: either(reason),
      api: either(fc.constantFrom('openai', 'anthropic', 'gemini', 'mcp')),
      endpoint: either(name),
      model: either(fc.option(fc.string())),
      expiresAt: either(fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString())),
      onTimeout: either(fc.constantFrom('allow', 'block')),
      summary: either(
        fc.record({
          messages: fc.array(either(fc.record({ role: either(fc.string()), text: either(fc.string()) })), { maxLength: 2 }),
          toolCalls: fc.array(either(fc.record({ name: either(name), arguments: either(fc.string()) })), { maxLength: 2 }),
        }),
      ),
    },
    { requiredKeys: ['id', 'orgId', 'keyId', 'nodeId', 'requestId', 'phase', 'reason', 'api', 'endpoint', 'expiresAt', 'onTimeout', 'summary'] },
  ),
  fc.record(
    {
      approvalId: either(uuid),
      decision: either(fc.constantFrom('approved', 'rejected', 'expired')),
      reason: either(fc.option(fc.string())),
      decidedBy: either(fc.option(fc.string())),
      outcome: either(fc.constantFrom('forwarded', 'rejected', 'client_gone', 'x')),
    },
    { requiredKeys: [] },
  ),
  fc.anything({ maxDepth: 3 }),
);

describe('fuzz: the approval validators (requests, decisions, outcomes)', () => {
  it('accept a message or refuse it with one WireError sentence naming the message, never another exception, and accept what they return', () => {
    const accepted = new Set<string>();
    fc.assert(
      fc.property(message, (value) => {
        for (const [name, validate] of Object.entries(VALIDATORS) as [string, (v: unknown) => unknown][]) {
          let result: unknown;
          try {
            result = validate(value);
          } catch (err) {
            expect(err).toBeInstanceOf(WireError);
            expect((err as WireError).message).toMatch(/^approval (request|decision|outcome) /);
            continue;
          }
          expect(result, name).toBe(value);
          expect(() => validate(JSON.parse(JSON.stringify(result)))).not.toThrow();
          accepted.add(name);
        }
      }),
      fuzzBudget(1_000),
    );
    // Generation reaches past the checks: each validator accepted some messages.
    expect([...accepted].sort()).toEqual(Object.keys(VALIDATORS).sort());
  });
});
