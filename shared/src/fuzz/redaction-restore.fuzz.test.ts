import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRestoreStream } from '../pii/restore-stream.js';
import type { RedactionSpec } from '../policy/decision.js';
import { createRedactor } from '../policy/redaction.js';
import { fuzzBudget } from './budget.js';

/** Redaction of contacts, secrets and a custom pattern, each original restorable, as a `redact` rule with `restore: true` asks. */
const specs: RedactionSpec[] = [
  {
    policyId: 'p',
    ruleId: 'r',
    detectors: ['email', 'phone', 'payment_card', 'openai_api_key'],
    patterns: [{ name: 'EMPLOYEE_ID', regex: 'E\\d{6}', ignoreCase: false }],
    replacement: 'placeholder',
    restore: true,
  },
];

/** Text near what detectors find, plus text that looks like placeholders, brackets and anything. */
const fragment = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('+33 6 12 34 56 78', '4111 1111 1111 1111', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789AB', 'E123456', 'E12345'),
  fc.constantFrom('[EMAIL_1]', '[EMAIL_', '[PHONE_1]', '[EMPLOYEE_ID_1]', '[', ']', '[[', '[x]', '\\', '"', '\n'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const text = fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join(' '));
/** Cut points inside a text, as fractions. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

function split(s: string, fractions: number[]): string[] {
  const at = [...new Set(fractions.map((f) => Math.floor(f * s.length)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => s.slice(from, at[i] ?? s.length));
}

function streamed(chunks: string[], stream: ReturnType<typeof createRestoreStream>): string {
  return chunks.map((c) => stream.push(c)).join('') + stream.flush();
}

describe('fuzz: redaction, then restore across chunks', () => {
  it('gives back the original text, however the redacted answer is cut into chunks', () => {
    fc.assert(
      fc.property(text, cuts, (original, fractions) => {
        const redactor = createRedactor(specs);
        const redacted = redactor.redact(original);
        expect(streamed(split(redacted, fractions), createRestoreStream(redactor.mapping))).toBe(original);
      }),
      fuzzBudget(1_000, [['a@b.co [EMAIL_1]', [0.5]]]),
    );
  });

  it('gives back the original inside JSON string content (tool-call arguments), however it is cut', () => {
    fc.assert(
      fc.property(text, cuts, (original, fractions) => {
        const redactor = createRedactor(specs);
        const redacted = JSON.stringify(redactor.redact(original));
        const restored = streamed(split(redacted, fractions), createRestoreStream(redactor.mapping, { escape: 'json' }));
        expect(JSON.parse(restored)).toBe(original);
      }),
      fuzzBudget(500),
    );
  });
});
