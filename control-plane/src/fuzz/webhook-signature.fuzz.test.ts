import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifyWebhookSignature } from '../webhooks/signing.js';
import { fuzzBudget } from './budget.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const at = fc.integer({ min: -600, max: 600 }).map((seconds) => new Date(NOW.getTime() + seconds * 1000));

describe('fuzz: the webhook signature verifier', () => {
  it('accepts exactly its own signature of the exact body within the tolerance, and refuses any change', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), at, fc.string({ minLength: 1, maxLength: 3 }), (secret, body, signedAt, extra) => {
        const header = signatureHeader(secret, body, signedAt);
        const fresh = Math.abs(NOW.getTime() - signedAt.getTime()) <= 300_000;
        expect(verifyWebhookSignature(secret, body, header, { now: NOW })).toBe(fresh);
        expect(verifyWebhookSignature(secret, body + extra, header, { now: NOW })).toBe(false);
        expect(verifyWebhookSignature(secret + extra, body, header, { now: NOW })).toBe(false);
        const v1 = header.slice(header.indexOf('v1=') + 3);
        const flipped = v1.slice(0, -1) + (v1.endsWith('0') ? '1' : '0');
        expect(verifyWebhookSignature(secret, body, header.replace(v1, flipped), { now: NOW })).toBe(false);
      }),
      fuzzBudget(500),
    );
  });

  it('answers any header, body and secret with true or false, never an exception', () => {
    const header = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.oneof(fc.integer(), fc.string()),
          fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), fc.string()),
        )
        .map(([t, v]) => `t=${t},v1=${v}`),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), header, (secret, body, value) => {
        expect(typeof verifyWebhookSignature(secret, body, value, { now: NOW })).toBe('boolean');
      }),
      fuzzBudget(1_000),
    );
  });
});
