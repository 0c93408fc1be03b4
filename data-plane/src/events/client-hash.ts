import { createHmac } from 'node:crypto';

/**
 * A salted SHA-256 (HMAC) of a client attribute (IP address, user agent): stable for one
 * client so requests correlate, useless for recovering the value without the salt.
 */
export function clientHash(value: string, salt: Buffer): string {
  return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}
