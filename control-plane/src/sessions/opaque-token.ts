import { randomBytes } from 'node:crypto';
import { hashSecret } from '@keyward/shared';

const SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * A 256-bit random token in URL-safe base64, for session cookies, invitation links and the
 * first-start sign-in link. Unlike Keyward keys these never travel in an Authorization header,
 * so they need no prefix or checksum.
 */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a value has the shape of an opaque token (checked before any lookup). */
export function isOpaqueToken(value: unknown): value is string {
  return typeof value === 'string' && SHAPE.test(value);
}

/** The keyed hash an opaque token is stored and looked up under. */
export function hashOpaqueToken(token: string, pepper: Buffer): string {
  return hashSecret(token, pepper);
}
