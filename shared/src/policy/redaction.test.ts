import { describe, expect, it } from 'vitest';
import { createRestoreStream } from '../pii/restore-stream.js';
import type { RedactionSpec } from './decision.js';
import { createRedactor } from './redaction.js';

function spec(overrides: Partial<RedactionSpec>): RedactionSpec {
  return { policyId: 'p', ruleId: 'r', detectors: [], patterns: [], replacement: 'placeholder', restore: false, ...overrides };
}

describe('createRedactor', () => {
  it('redacts detectors and custom patterns with stable placeholders across the texts of a request', () => {
    const redactor = createRedactor([
      spec({ detectors: ['email'], restore: true }),
      spec({ patterns: [{ name: 'EMPLOYEE_ID', regex: 'E\\d{6}', ignoreCase: false }], restore: true }),
    ]);
    expect(redactor.redact('From ann@corp.example (E123456)')).toBe('From [EMAIL_1] ([EMPLOYEE_ID_1])');
    expect(redactor.redact('Reply to ann@corp.example and bob@corp.example')).toBe('Reply to [EMAIL_1] and [EMAIL_2]');
    expect(redactor.restores).toBe(true);
    const stream = createRestoreStream(redactor.mapping);
    expect(stream.push('Dear [EMA') + stream.push('IL_2], re [EMPLOYEE_ID_1]') + stream.flush()).toBe('Dear bob@corp.example, re E123456');
  });

  it('applies the strongest style when two redactions cover the same detector, restoring only if both asked', () => {
    const redactor = createRedactor([spec({ detectors: ['email'], restore: true }), spec({ detectors: ['email'], replacement: 'mask' })]);
    expect(redactor.redact('x ann@corp.example')).toBe('x ****');
    expect(redactor.restores).toBe(false);
    const hashed = createRedactor([spec({ detectors: ['phone'], replacement: 'hash', restore: true }), spec({ detectors: ['phone'], restore: false })]);
    expect(hashed.redact('call +33 6 12 34 56 78')).toMatch(/^call \[PHONE_[0-9a-f]{12}\]$/);
    expect(hashed.restores).toBe(false);
  });

  it('keeps each detector its own style', () => {
    const redactor = createRedactor([spec({ detectors: ['email'] }), spec({ detectors: ['payment_card'], replacement: 'mask' })]);
    expect(redactor.redact('ann@corp.example paid with 4111 1111 1111 1111')).toBe('[EMAIL_1] paid with ****');
  });

  it('leaves text without findings untouched', () => {
    expect(createRedactor([spec({ detectors: ['email'] })]).redact('nothing here')).toBe('nothing here');
  });

  it('uses the organization hash key when given', () => {
    const a = createRedactor([spec({ detectors: ['email'], replacement: 'hash' })], { hashKey: 'k1' }).redact('a@b.co');
    const b = createRedactor([spec({ detectors: ['email'], replacement: 'hash' })], { hashKey: 'k2' }).redact('a@b.co');
    expect(a).not.toBe(b);
  });
});
