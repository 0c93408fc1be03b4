import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signApprovalLink, verifyApprovalLinkToken } from './approval-links.js';

const pepper = randomBytes(32);
const approvalId = randomUUID();
const expiresAt = new Date(Date.now() + 60_000);

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('t')!;
}

describe('signed approval links', () => {
  it('verify for the approval, action and channel they were made for, until the request expires', () => {
    const url = signApprovalLink('https://keyward.example.com', pepper, { approvalId, action: 'reject', channel: 'slack', expiresAt });
    expect(url).toMatch(new RegExp(`^https://keyward\\.example\\.com/approvals/${approvalId}/reject\\?t=`));
    const checked = verifyApprovalLinkToken(pepper, approvalId, 'reject', tokenOf(url));
    expect(checked).toEqual({ ok: true, link: { channel: 'slack', jti: expect.any(String), expiresAt } });
    expect(verifyApprovalLinkToken(pepper, approvalId, 'reject', tokenOf(url), new Date(expiresAt.getTime()))).toEqual({ ok: false, problem: 'expired' });
  });

  it('get a fresh single-use id every time', () => {
    const a = signApprovalLink('https://k', pepper, { approvalId, action: 'approve', channel: 'webhook', expiresAt });
    const b = signApprovalLink('https://k', pepper, { approvalId, action: 'approve', channel: 'webhook', expiresAt });
    expect(tokenOf(a)).not.toBe(tokenOf(b));
  });

  it('refuse another action, another approval, another key, a changed expiry and garbage', () => {
    const token = tokenOf(signApprovalLink('https://k', pepper, { approvalId, action: 'approve', channel: 'slack', expiresAt }));
    expect(verifyApprovalLinkToken(pepper, approvalId, 'reject', token)).toEqual({ ok: false, problem: 'invalid' });
    expect(verifyApprovalLinkToken(pepper, randomUUID(), 'approve', token)).toEqual({ ok: false, problem: 'invalid' });
    expect(verifyApprovalLinkToken(randomBytes(32), approvalId, 'approve', token)).toEqual({ ok: false, problem: 'invalid' });
    const [exp, ...rest] = token.split('.');
    expect(verifyApprovalLinkToken(pepper, approvalId, 'approve', [String(Number(exp) + 3600_000), ...rest].join('.'))).toEqual({
      ok: false,
      problem: 'invalid',
    });
    expect(verifyApprovalLinkToken(pepper, approvalId, 'approve', token.replace('.slack.', '.email.'))).toEqual({ ok: false, problem: 'malformed' });
    expect(verifyApprovalLinkToken(pepper, approvalId, 'approve', '')).toEqual({ ok: false, problem: 'malformed' });
  });
});
