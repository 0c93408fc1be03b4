/**
 * Why an HDP token was not accepted. Each reason belongs to one kind, and the kind decides the
 * answer an agent gets: a header that cannot be read is `malformed` (400), a token that does not
 * prove what it claims is `invalid` (401), a proven token that does not allow the request is
 * `forbidden` (403).
 */
export const PROVENANCE_REASONS = {
  too_large: 'malformed',
  encoding: 'malformed',
  json: 'malformed',
  malformed: 'malformed',
  version_unsupported: 'malformed',
  algorithm_unsupported: 'malformed',
  signature_length: 'malformed',
  sequence_duplicate: 'malformed',
  chain_broken: 'invalid',
  issuer_untrusted: 'invalid',
  root_signature_invalid: 'invalid',
  hop_signature_invalid: 'invalid',
  expired: 'invalid',
  not_yet_valid: 'invalid',
  session_mismatch: 'invalid',
  max_hops_exceeded: 'forbidden',
  tool_unauthorized: 'forbidden',
  egress_forbidden: 'forbidden',
  required: 'invalid',
} as const;

/** One reason code, as events, errors and policies name it. */
export type ProvenanceReason = keyof typeof PROVENANCE_REASONS;

/** How a refusal is answered: 400, 401 or 403. */
export type ProvenanceRefusalKind = (typeof PROVENANCE_REASONS)[ProvenanceReason];

/** A refusal: the reason code and one sentence for the agent (never a secret, never a stack). */
export interface ProvenanceRefusal {
  readonly ok: false;
  readonly reason: ProvenanceReason;
  readonly message: string;
}

/** Builds a refusal. */
export function refuse(reason: ProvenanceReason, message: string): ProvenanceRefusal {
  return { ok: false, reason, message };
}

/** The HTTP status a refusal is answered with. */
export function refusalStatus(reason: ProvenanceReason): 400 | 401 | 403 {
  const kind = PROVENANCE_REASONS[reason];
  return kind === 'malformed' ? 400 : kind === 'invalid' ? 401 : 403;
}
