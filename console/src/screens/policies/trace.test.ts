import { describe, expect, it } from 'vitest';
import { decisionSentence, redactionLines, ruleOutcome, shadowSentence } from './trace';

const rule = (overrides: Partial<Parameters<typeof ruleOutcome>[0]>) => ({
  ruleId: 'r',
  index: 0,
  on: 'REQUEST' as const,
  action: 'BLOCK' as const,
  shadow: false,
  reached: true,
  matched: true,
  reason: '',
  ...overrides,
});
const decision = { action: 'ALLOW' as const, block: null, hold: null, redact: [], tags: [], matches: [], shadow: null };

describe('reading a policy test', () => {
  it('names what each rule did', () => {
    expect(ruleOutcome(rule({})).label).toBe('Matched: blocks');
    expect(ruleOutcome(rule({ shadow: true })).label).toBe('Matched (shadow)');
    expect(ruleOutcome(rule({ matched: false })).label).toBe('No match');
    expect(ruleOutcome(rule({ reached: false, matched: false })).label).toBe('Not reached');
  });

  it('puts the decision in a sentence', () => {
    expect(decisionSentence({ ...decision, action: 'BLOCK', block: { status: 422, message: 'No secrets' } }).text).toBe('Blocked with HTTP 422: No secrets');
    expect(decisionSentence({ ...decision, action: 'HOLD', hold: { timeoutSeconds: 300, onTimeout: 'block' } }).text).toBe(
      'Held for approval for 300 s, then blocked if nobody decides',
    );
    expect(decisionSentence({ ...decision, redact: [{ ruleId: 'contacts' }] }).text).toBe('Allowed, with redactions');
  });

  it('describes redactions and the shadow decision', () => {
    expect(redactionLines([{ ruleId: 'contacts', detectors: ['email'], patterns: [{ name: 'TICKET' }], replacement: 'mask' }])).toEqual([
      'contacts: email, TICKET → mask',
    ]);
    expect(shadowSentence({ action: 'block', block: { status: 403, message: 'x' } })).toBe('Blocked with HTTP 403: x');
    expect(shadowSentence(null)).toBeNull();
  });
});
