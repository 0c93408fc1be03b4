/** Retry pacing shared by the config stream, the event shipper and the heartbeat. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** The default pacing: half a second, doubling up to 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": half the capped delay fixed, half random. Many nodes
 * that lost the control plane at the same moment then spread their reconnects instead of
 * arriving together, and no retry fires immediately.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped / 2 + random() * (capped / 2));
}
