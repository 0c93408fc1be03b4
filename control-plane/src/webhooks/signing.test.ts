import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader, verifyWebhookSignature } from './signing.js';

describe('webhook signatures', () => {
  it('are an HMAC-SHA256 of the timestamp and the raw body, keyed with the secret', () => {
    const secret = generateWebhookSecret();
    const at = new Date('2026-01-02T03:04:05Z');
    const body = '{"type":"approval.requested"}';
    const header = signatureHeader(secret, body, at);
    const t = Math.floor(at.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(verifyWebhookSignature(secret, body, header, { now: at })).toBe(true);
  });

  it('fail for another body, another secret, a malformed header or an old timestamp', () => {
    const secret = generateWebhookSecret();
    const header = signatureHeader(secret, 'body');
    expect(verifyWebhookSignature(secret, 'body ', header)).toBe(false);
    expect(verifyWebhookSignature(generateWebhookSecret(), 'body', header)).toBe(false);
    expect(verifyWebhookSignature(secret, 'body', 'v1=abc')).toBe(false);
    expect(verifyWebhookSignature(secret, 'body', header, { now: new Date(Date.now() + 301_000) })).toBe(false);
  });
});
