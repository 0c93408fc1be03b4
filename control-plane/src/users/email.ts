/** Longest address RFC 5321 allows in a path. */
export const MAX_EMAIL_LENGTH = 254;

/** The form emails are stored and compared in: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
