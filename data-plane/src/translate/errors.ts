import { GatewayError } from '../errors.js';
import { get, str } from '../providers/codec/walk.js';

/**
 * A target's error as a gateway error for the agent's error shape. All three families put the
 * message at `error.message` (Anthropic inside `{ type: 'error', error }`); the status is kept,
 * so the agent's client raises the same error class (rate limit, bad request…) it would natively.
 */
export function upstreamFailure(status: number, body: unknown): GatewayError {
  // A provider refusing the credential may quote part of it (OpenAI does); the agent never sees it.
  if (status === 401 || status === 403) {
    return new GatewayError('upstream_auth_failed', status, `The provider refused the credential of this route (status ${status}).`);
  }
  const message = str(get(get(body, 'error'), 'message')) || `The provider answered with status ${status}.`;
  return new GatewayError('upstream_error', status, message);
}

/** The gateway error for a translated stream the provider ended before its last event. */
export const STREAM_CUT = new GatewayError('stream_interrupted', 502, 'The provider ended the stream before the answer was complete.');
