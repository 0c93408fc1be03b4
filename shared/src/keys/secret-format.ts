import { crc32 } from 'node:zlib';
import { encodeBase62, isBase62, randomBase62 } from './base62.js';

/** The kinds of bearer secret Keyward issues. */
export type SecretKind = 'key' | 'api_token' | 'node_token' | 'scim_token';

/** The visible prefix of each secret kind; they never prefix one another, so parsing is unambiguous. */
export const SECRET_PREFIXES: Readonly<Record<SecretKind, string>> = Object.freeze({
  key: 'kw_',
  api_token: 'kwt_',
  node_token: 'kwn_',
  scim_token: 'kws_',
});

/** 43 base62 characters carry 43 × log2(62) ≈ 256.01 bits: at least 32 random bytes. */
const BODY_LENGTH = 43;
/** CRC32 is below 62^6, so six base62 characters always hold it. */
const CHECKSUM_LENGTH = 6;
/** How many body characters the display prefix reveals (about 30 bits: enough to tell keys apart, useless to guess). */
const DISPLAY_BODY_CHARS = 5;

const KINDS = Object.keys(SECRET_PREFIXES) as SecretKind[];

/** Thrown when a value that should be a Keyward secret is not one; the message never contains the value. */
export class InvalidSecretError extends Error {
  override name = 'InvalidSecretError';
}

/**
 * Generates a new secret of the given kind: prefix, 43 random base62 characters, and a 6-character
 * base62 CRC32 of prefix+body. The checksum lets a gateway reject typos and look-alikes without a
 * database or cache lookup; it adds no security, which comes from the random body alone.
 */
export function generateSecret(kind: SecretKind): string {
  const prefix = SECRET_PREFIXES[kind];
  if (prefix === undefined) throw new InvalidSecretError(`unknown secret kind "${String(kind)}"`);
  const head = prefix + randomBase62(BODY_LENGTH);
  return head + checksum(head);
}

/**
 * Recognizes a Keyward secret by prefix, exact length, charset and checksum. Returns null for
 * anything else; never throws, and costs one CRC32 over ~50 bytes, so it is safe to run on every
 * request before any lookup.
 */
export function parseSecret(value: string): { kind: SecretKind } | null {
  if (typeof value !== 'string') return null;
  const kind = kindOf(value);
  if (kind === null) return null;
  const prefixLength = SECRET_PREFIXES[kind].length;
  if (value.length !== prefixLength + BODY_LENGTH + CHECKSUM_LENGTH) return null;
  if (!isBase62(value.slice(prefixLength))) return null;
  const head = value.slice(0, prefixLength + BODY_LENGTH);
  if (checksum(head) !== value.slice(head.length)) return null;
  return { kind };
}

/**
 * The non-secret display form of a secret: its prefix plus the first five body characters
 * (`kw_AbC12`). Shown in lists and events so people can tell keys apart.
 */
export function displayPrefix(secret: string): string {
  const kind = typeof secret === 'string' ? kindOf(secret) : null;
  if (kind === null) throw new InvalidSecretError('value is not a Keyward secret: it has no kw_, kwt_, kwn_ or kws_ prefix');
  const end = SECRET_PREFIXES[kind].length + DISPLAY_BODY_CHARS;
  if (secret.length < end + CHECKSUM_LENGTH) throw new InvalidSecretError('value is too short to be a Keyward secret');
  return secret.slice(0, end);
}

function kindOf(value: string): SecretKind | null {
  for (const kind of KINDS) {
    if (value.startsWith(SECRET_PREFIXES[kind])) return kind;
  }
  return null;
}

function checksum(head: string): string {
  return encodeBase62(crc32(head), CHECKSUM_LENGTH);
}
