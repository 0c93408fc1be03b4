import type { Decision } from '@/gql/graphql';

/** The colour family of a status, shared by every list so "revoked" looks the same everywhere. */
export type Tone = 'success' | 'warning' | 'error' | 'info' | 'default';

const DECISION_TONES: Record<Decision, Tone> = {
  ALLOWED: 'success',
  APPROVED: 'success',
  REDACTED: 'info',
  HELD: 'warning',
  RATE_LIMITED: 'warning',
  BUDGET_EXCEEDED: 'warning',
  BLOCKED: 'error',
  REJECTED: 'error',
  DENIED: 'error',
  ERROR: 'error',
};

/** Colour of a request decision. */
export function decisionTone(decision: Decision): Tone {
  return DECISION_TONES[decision] ?? 'default';
}

/** An API enum value for people: "RATE_LIMITED" → "Rate limited". */
export function humanize(value: string): string {
  const text = value.replace(/_/g, ' ').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
