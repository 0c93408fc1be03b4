import { Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 30 ms a hash on one core. */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A hash of a random password nobody knows, verified against when there is no account, so both paths take as long. */
let dummyHash: Promise<string> | null = null;

/** Hashes a password into an argon2id PHC string (salt and parameters included). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/**
 * Checks a password against a stored hash. With no hash (unknown email, or an account without a
 * password) it still runs one argon2 verification, so response time does not tell which emails
 * have accounts.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hash(crypto.randomUUID(), ARGON2_OPTIONS);
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
