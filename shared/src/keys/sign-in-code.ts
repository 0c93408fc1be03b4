import { randomInt } from 'node:crypto';

/** A six-digit one-time sign-in code, uniformly random (leading zeros kept). */
export function generateSignInCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}
