import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../auth/derived-key.js';

/** What a signed link does when its page's button is pressed. */
export type LinkAction = 'approve' | 'reject';

/** Channels links are sent through; the decision is recorded as `link:<channel>`. */
export type LinkChannel = 'slack' | 'webhook';

/** A verified link token. */
export interface VerifiedLink {
  readonly channel: LinkChannel;
  /** The link's single-use id. */
  readonly jti: string;
  readonly expiresAt: Date;
}

/** Why a link token was refused. */
export type LinkProblem = 'malformed' | 'invalid' | 'expired';

const CHANNELS: readonly LinkChannel[] = ['slack', 'webhook'];
/**
 * What the link-signing key is derived for: it is never the key pepper itself, and changing the
 * pepper invalidates every outstanding link.
 */
const APPROVAL_LINKS_PURPOSE = 'approval-links v1';
const TOKEN = /^(\d{1,15})\.([a-z]+)\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

function mac(pepper: Buffer, approvalId: string, action: LinkAction, exp: number, channel: LinkChannel, jti: string): string {
  return createHmac('sha256', derivedKey(pepper, APPROVAL_LINKS_PURPOSE)).update(`${approvalId}.${action}.${exp}.${channel}.${jti}`).digest('base64url');
}

/**
 * A signed link that opens a confirmation page for one action on one approval:
 * `<publicUrl>/approvals/<id>/<action>?t=<exp ms>.<channel>.<jti>.<mac>`. The MAC binds the
 * approval, the action, the expiry (the request's own), the channel and a fresh single-use id.
 */
export function signApprovalLink(
  publicUrl: string,
  pepper: Buffer,
  link: { readonly approvalId: string; readonly action: LinkAction; readonly channel: LinkChannel; readonly expiresAt: Date },
): string {
  // Milliseconds, so the link dies exactly when the request stops waiting.
  const exp = link.expiresAt.getTime();
  const jti = randomUUID();
  const token = `${exp}.${link.channel}.${jti}.${mac(pepper, link.approvalId, link.action, exp, link.channel, jti)}`;
  return `${publicUrl}/approvals/${link.approvalId}/${link.action}?t=${token}`;
}

/** Checks a link token for one approval and action; single use is checked by the caller against recorded uses. */
export function verifyApprovalLinkToken(
  pepper: Buffer,
  approvalId: string,
  action: LinkAction,
  token: string,
  now: Date = new Date(),
): { ok: true; link: VerifiedLink } | { ok: false; problem: LinkProblem } {
  const match = TOKEN.exec(token);
  if (!match) return { ok: false, problem: 'malformed' };
  const [, expText, channel, jti, given] = match as unknown as [string, string, LinkChannel, string, string];
  if (!CHANNELS.includes(channel)) return { ok: false, problem: 'malformed' };
  const exp = Number(expText);
  const expected = Buffer.from(mac(pepper, approvalId, action, exp, channel, jti));
  if (!timingSafeEqual(expected, Buffer.from(given))) return { ok: false, problem: 'invalid' };
  if (exp <= now.getTime()) return { ok: false, problem: 'expired' };
  return { ok: true, link: { channel, jti, expiresAt: new Date(exp) } };
}
