import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Shorter peppers are refused: the pepper is what keeps a stolen hash table from being brute-forced offline. */
const MIN_PEPPER_BYTES = 16;

/**
 * The keyed hash under which a secret is stored and looked up: hex HMAC-SHA256 with a server-side
 * pepper. Secrets carry 256 random bits, so a fast hash is enough; the pepper means a leaked
 * database alone does not let anyone test candidate secrets.
 */
export function hashSecret(secret: string, pepper: Buffer): string {
  if (!Buffer.isBuffer(pepper) || pepper.length < MIN_PEPPER_BYTES) {
    throw new Error(`hashSecret needs a pepper of at least ${MIN_PEPPER_BYTES} bytes`);
  }
  return createHmac('sha256', pepper).update(secret, 'utf8').digest('hex');
}

/**
 * Compares two secrets (or hashes) in time independent of where they differ. Both sides are
 * hashed first, so differing lengths neither throw nor return early.
 */
export function secretsEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
