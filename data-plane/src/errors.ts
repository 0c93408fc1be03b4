import type { ProvenanceReason } from '@keyward/shared';

/**
 * Every failure the gateway answers itself, with a stable code (recorded in events and metrics)
 * and the HTTP status the agent receives. Each API family renders these in its own error shape
 * in one place (`providers/<family>/errors.ts`). An HDP refusal's code is `hdp_` and its reason.
 */
export type GatewayErrorCode =
  | `hdp_${ProvenanceReason}`
  | 'invalid_api_key'
  | 'key_revoked'
  | 'key_expired'
  | 'key_paused'
  | 'key_frozen'
  | 'key_held'
  | 'model_required'
  | 'model_not_allowed'
  | 'model_unpriced'
  | 'no_route'
  | 'invalid_json'
  | 'invalid_request'
  | 'untranslatable'
  | 'body_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_ready'
  | 'draining'
  | 'spool_unavailable'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'limiter_unavailable'
  | 'blocked'
  | 'request_rejected'
  | 'approval_timeout'
  | 'approval_unavailable'
  | 'policy_unavailable'
  | 'response_too_large'
  | 'credential_unavailable'
  | 'kms_unavailable'
  | 'upstream_timeout'
  | 'upstream_stalled'
  | 'upstream_unavailable'
  | 'upstream_blocked'
  | 'upstream_auth_failed'
  | 'no_healthy_target'
  | 'upstream_error'
  | 'stream_interrupted'
  | 'client_closed'
  | 'drain_deadline'
  | 'internal_error';

/** A failure with a stable code, an HTTP status and a message safe to show the agent. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    readonly status: number,
    message: string,
    /** For a 503: when to retry, sent as `Retry-After` (1 s when absent). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** The error of a request whose connection closed before its answer ended (`ClientResponse.closeCode`). */
export function connectionClosed(code: 'client_closed' | 'drain_deadline'): GatewayError {
  return code === 'drain_deadline'
    ? new GatewayError('drain_deadline', 503, 'The node stopped before the answer was complete: its drain deadline passed.')
    : new GatewayError('client_closed', 499, 'The client closed the connection.');
}

/** Which step of an upstream call failed; the same undici error means different things in each. */
export type UpstreamPhase = 'connect' | 'body';

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The one place provider and network failures become gateway errors. `phase` says whether
 * response headers had arrived: a reset before them means the provider was unreachable, after
 * them that the stream was interrupted.
 */
export function mapUpstreamFailure(err: unknown, phase: UpstreamPhase): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'UnsafeAddressError' || code === 'ERR_KEYWARD_UNSAFE_ADDRESS') {
    return new GatewayError('upstream_blocked', 502, 'The provider address is not allowed for upstream connections.');
  }
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new GatewayError('client_closed', 499, 'The client closed the connection.');
  }
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new GatewayError('upstream_timeout', 504, 'Timed out connecting to the provider.');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new GatewayError('upstream_timeout', 504, 'The provider did not start answering in time.');
    case 'UND_ERR_BODY_TIMEOUT':
      return new GatewayError('upstream_stalled', 504, 'The provider stopped sending data before the answer was complete.');
  }
  if (phase === 'body') {
    return new GatewayError('stream_interrupted', 502, 'The connection to the provider failed before the answer was complete.');
  }
  if (CONNECT_FAILURES.has(code)) {
    return new GatewayError('upstream_unavailable', 502, 'The provider could not be reached.');
  }
  return new GatewayError('upstream_unavailable', 502, 'The request to the provider failed.');
}

/** True when the failure happened before the provider could have seen the request, so another credential may be tried. */
export function isRetryableConnectFailure(err: unknown): boolean {
  const code = errorCode(err);
  return CONNECT_FAILURES.has(code) || (err instanceof Error && err.name === 'UnsafeAddressError');
}

/**
 * The stable code an event records for a provider's own error status that is passed through
 * to the agent unchanged.
 */
export function upstreamStatusCode(status: number): string {
  if (status === 429) return 'upstream_rate_limited';
  if (status === 400 || status === 422) return 'upstream_invalid_request';
  if (status === 404) return 'upstream_not_found';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status >= 500) return 'upstream_error';
  return `upstream_status_${status}`;
}

function errorCode(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) return errorCode(cause);
  }
  return '';
}
