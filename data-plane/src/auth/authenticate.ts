import { parseSecret, type KeyConfig, type OrgConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { GatewayError } from '../errors.js';
import { fleetNow } from '../clock/fleet-clock.js';
import { keyHashesFor } from './key-hashes.js';

/** The outcome of a key check. A refused key that was found still names its key and org, so the denial is recorded. */
export type KeyCheck =
  | { readonly ok: true; readonly key: KeyConfig; readonly org: OrgConfig }
  | { readonly ok: false; readonly error: GatewayError; readonly key: KeyConfig | null; readonly org: OrgConfig | null };

const INVALID = 'Invalid Keyward key. Check that the key is complete and has not been deleted.';
const UNPRINTABLE =
  'The Keyward key contains a character no key has (a space, or a non-ASCII character such as a non-breaking or zero-width space copied along with it). Send the key exactly as it was shown.';
/** Every character a key may have: printable ASCII, nothing else (keys are base62 after their prefix). */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Checks a presented Keyward key exactly as the client sent it (nothing is trimmed or
 * normalized here): printable ASCII only, with its own message for anything else (a space or a
 * non-ASCII look-alike pasted with the key), then a cheap format and checksum check
 * (look-alikes and other secrets are refused without a lookup), then the keyed hash (remembered
 * for keys presented before), then the current snapshot's entry for status, expiry and rotation grace. Messages never repeat the key.
 */
export function authenticateKey(secret: string | null, view: ConfigView, pepper: Buffer, now = fleetNow()): KeyCheck {
  const refuse = (error: GatewayError, key: KeyConfig | null = null, org: OrgConfig | null = null): KeyCheck => ({ ok: false, error, key, org });
  if (!secret) return refuse(new GatewayError('invalid_api_key', 401, 'Missing Keyward key. Send it where your client sends its API key.'));
  if (!PRINTABLE_ASCII.test(secret)) return refuse(new GatewayError('invalid_api_key', 401, UNPRINTABLE));
  // A key presented before passed the format check then; its keyed hash is remembered (`KeyHashes`).
  const keyed = keyHashesFor(pepper).keyedHash(secret, (value) => parseSecret(value)?.kind === 'key');
  if (keyed === null) return refuse(new GatewayError('invalid_api_key', 401, INVALID));
  const key = view.keyByHash(keyed);
  const org = key ? view.org(key.orgId) : undefined;
  if (!key || !org) return refuse(new GatewayError('invalid_api_key', 401, INVALID));
  if (key.status !== 'active') {
    return refuse(new GatewayError('key_revoked', 401, 'This Keyward key has been revoked.'), key, org);
  }
  if (key.paused === true) {
    return refuse(new GatewayError('key_paused', 403, 'This Keyward key is paused by the owner of its key pool. Ask them to resume it.'), key, org);
  }
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now) {
    return refuse(new GatewayError('key_expired', 401, `This Keyward key expired at ${key.expiresAt}.`), key, org);
  }
  if (key.graceUntil !== null && Date.parse(key.graceUntil) <= now) {
    return refuse(
      new GatewayError('key_expired', 401, `This Keyward key was rotated and expired when its grace period ended at ${key.graceUntil}. Use the new key.`),
      key,
      org,
    );
  }
  return { ok: true, key, org };
}
