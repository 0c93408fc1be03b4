import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of webhook signing secrets, so one is recognizable in a secrets manager. */
const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes in URL-safe base64. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The `x-keyward-signature` header for a body: `t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * `${t}.${body}`, keyed with the whole secret string. Binding the time into the MAC lets a
 * receiver refuse replays of old deliveries.
 */
export function signatureHeader(secret: string, body: string, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;
}

/**
 * What a receiver does with `x-keyward-signature`: recompute the MAC over `${t}.${rawBody}` and
 * compare in constant time, refusing signatures older (or newer) than `toleranceSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  options: { readonly toleranceSeconds?: number; readonly now?: Date } = {},
): boolean {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex'));
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}
