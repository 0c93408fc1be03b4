import { AppError } from '../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

/** Shortest password accepted. */
const MIN_PASSWORD_LENGTH = 12;
/** Longest password accepted: argon2 hashes any length, but megabyte passwords only cost us CPU. */
const MAX_PASSWORD_LENGTH = 256;

const CLASSES: readonly RegExp[] = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];

/** Why a password was refused, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `Passwords may have at most ${MAX_PASSWORD_LENGTH} characters.`;
  const classes = CLASSES.filter((c) => c.test(password)).length;
  if (classes < 2) return 'Passwords need at least two kinds of character (lower case, upper case, digits, symbols).';
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'This password is one of the most common ones; choose another.';
  if (new Set(lower).size <= 2) return 'This password repeats the same characters; choose another.';
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) return 'Passwords may not contain your email name.';
  return null;
}

/** Throws `BAD_USER_INPUT` (reason `WEAK_PASSWORD`) with the reason in a sentence when a password is refused. */
export function assertPasswordAcceptable(password: string, email?: string): void {
  const problem = passwordProblem(password, email);
  if (problem) throw new AppError('BAD_USER_INPUT', problem, { reason: 'WEAK_PASSWORD' });
}
