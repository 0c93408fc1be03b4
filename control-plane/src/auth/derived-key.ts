import { hkdfSync } from 'node:crypto';

const cache = new WeakMap<Buffer, Map<string, Buffer>>();

/**
 * A 32-byte key for one purpose, derived from a control-plane secret with HKDF-SHA256 (salt
 * `keyward`, info `purpose`): never the secret itself, different for every purpose, and
 * changed with the secret (which invalidates everything signed with it).
 */
export function derivedKey(secret: Buffer, purpose: string): Buffer {
  let keys = cache.get(secret);
  if (!keys) cache.set(secret, (keys = new Map()));
  let key = keys.get(purpose);
  if (!key) keys.set(purpose, (key = Buffer.from(hkdfSync('sha256', secret, 'keyward', purpose, 32))));
  return key;
}
