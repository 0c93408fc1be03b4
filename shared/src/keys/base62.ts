import { randomBytes } from 'node:crypto';

/** The base62 alphabet: digits, then upper case, then lower case (the order `0-9A-Za-z` sorts in). */
const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely. */
const REJECTION_LIMIT = 248;

/** Returns `length` uniformly random base62 characters from the operating system's CSPRNG. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length - out.length + 8);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i];
      if (b < REJECTION_LIMIT) out += BASE62_ALPHABET[b % 62];
    }
  }
  return out;
}

/** Encodes a non-negative integer below 2^53 in base62, left-padded with `0` to `width` characters. */
export function encodeBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

/** True when every character of `value` is in the base62 alphabet. */
export function isBase62(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (!digit && !upper && !lower) return false;
  }
  return true;
}
