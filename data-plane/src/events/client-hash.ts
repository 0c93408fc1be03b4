import { createHmac } from 'node:crypto';

/** Hashes remembered per salt before the memory is cleared (client addresses and agents repeat). */
const REMEMBERED = 4096;

/**
 * A salted SHA-256 (HMAC) of a client attribute (IP address, user agent): stable for one
 * client so requests correlate, useless for recovering the value without the salt. The same
 * few addresses and user agents send most requests, so results are remembered (bounded).
 */
export class ClientHasher {
  private readonly known = new Map<string, string>();

  constructor(private readonly salt: Buffer) {}

  hash(value: string): string {
    let hash = this.known.get(value);
    if (hash === undefined) {
      hash = createHmac('sha256', this.salt).update(value, 'utf8').digest('hex');
      if (this.known.size >= REMEMBERED) this.known.clear();
      this.known.set(value, hash);
    }
    return hash;
  }
}
