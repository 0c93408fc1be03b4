import { createHmac } from 'node:crypto';

/**
 * Each organization's key for `hash` redactions, derived from a node secret (the key pepper) so
 * hashed values are stable across nodes and cannot be recomputed outside; kept per organization.
 */
export function redactionHashKeys(secret: Buffer): (orgId: string) => Buffer {
  const keys = new Map<string, Buffer>();
  return (orgId) => {
    let key = keys.get(orgId);
    if (!key) {
      key = createHmac('sha256', secret).update(`keyward redaction hash key\u0000${orgId}`).digest();
      if (keys.size > 10_000) keys.clear();
      keys.set(orgId, key);
    }
    return key;
  };
}
