import { hash } from 'node:crypto';
import { BoundedMap, hashSecret } from '@keyward/shared';

/** Keys remembered per pepper: the least recently presented one is forgotten first. */
const REMEMBERED = 4096;

/**
 * The keyed hash (HMAC with the pepper) of a presented key that is known to be well-formed,
 * remembered for keys presented before: an agent sends the same key on every call, and a
 * one-shot SHA-256 of it costs a fraction of setting up the HMAC. Only the hash is remembered,
 * under the key's SHA-256 (never the key itself); the key's entry, status, expiry and grace
 * are still read from the current configuration on every call, so a revocation, an expiry or
 * a configuration change applies to the very next call.
 */
export class KeyHashes {
  private readonly known: BoundedMap<string, string>;

  constructor(
    private readonly pepper: Buffer,
    capacity = REMEMBERED,
  ) {
    this.known = new BoundedMap(capacity);
  }

  /**
   * The keyed hash of `secret`: remembered, or computed and remembered when `wellFormed` says
   * the key passes the format check (null when it does not: nothing is hashed or kept).
   */
  keyedHash(secret: string, wellFormed: (secret: string) => boolean): string | null {
    const digest = hash('sha256', secret);
    let keyed = this.known.get(digest);
    if (keyed === undefined) {
      if (!wellFormed(secret)) return null;
      keyed = hashSecret(secret, this.pepper);
    }
    // Remembered last: the map's order is the order of last use, the oldest forgotten first.
    this.known.remember(digest, keyed);
    return keyed;
  }
}

const byPepper = new WeakMap<Buffer, KeyHashes>();

/** The node's remembered key hashes for `pepper` (one per pepper, so a test's second gateway never shares them). */
export function keyHashesFor(pepper: Buffer): KeyHashes {
  let hashes = byPepper.get(pepper);
  if (hashes === undefined) {
    hashes = new KeyHashes(pepper);
    byPepper.set(pepper, hashes);
  }
  return hashes;
}
