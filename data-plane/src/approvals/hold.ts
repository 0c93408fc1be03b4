import { uuidv7, type ApprovalRequestMessage } from '@keyward/shared';
import type { AgentConnection } from '../steps/agent-connection.js';
import { ApprovalUnavailableError, type ApprovalClient } from './client.js';
import type { ApprovalOutcome } from './in-flight.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** The comment line a held stream receives while it waits. */
export const HOLD_COMMENT = 'keyward-hold';

/** What to ask approval for, and how the agent is kept waiting meanwhile. */
export interface HoldOptions {
  readonly approvals: ApprovalClient;
  readonly connection: AgentConnection;
  /** The request message without what the hold fills in (its id and expiry). */
  readonly message: Omit<ApprovalRequestMessage, 'id' | 'expiresAt' | 'onTimeout'>;
  readonly timeoutSeconds: number;
  readonly onTimeout: 'allow' | 'block';
  /** Interval of SSE keep-alive comments (streams only). */
  readonly keepAliveMs: number;
  /** Longest wait, counted from the request's arrival, for an agent that is not streamed. */
  readonly unstreamedMaxSeconds: number;
}

/** How a hold ended. */
export type HoldResult =
  | { readonly kind: 'approved'; readonly approvalId: string }
  | { readonly kind: 'rejected'; readonly approvalId: string; readonly reason: string | null }
  /**
   * Nobody decided in time (the control plane's expiry, or the node's own deadline); `cut` when
   * the deadline was the limit for agents that are not streamed rather than the hold's own.
   */
  | { readonly kind: 'expired'; readonly approvalId: string; readonly cut: boolean }
  /** The agent disconnected, or the node cut it while shutting down. */
  | { readonly kind: 'gone'; readonly approvalId: string }
  /** The control plane could not be asked. */
  | { readonly kind: 'unavailable'; readonly approvalId: string };

/**
 * Asks for an approval and keeps the agent waiting for the decision: streaming agents get an
 * SSE comment every `keepAliveMs` (the first one sends the stream's headers, so a quick
 * decision still gets an ordinary response), others simply wait, but never past
 * `unstreamedMaxSeconds` after their request arrived: nothing can be sent to them before the
 * answer's headers, and their HTTP client gives up on those (Node's after 300 s), so they get
 * the timeout's outcome while they can still read it. Ends when a person decides, the hold
 * expires, or the agent leaves. The approval's `expiresAt` is the deadline that applies. The
 * caller forwards or refuses, then reports the outcome with `holdOutcome`.
 */
export async function holdForApproval(options: HoldOptions): Promise<HoldResult> {
  const { approvals, connection } = options;
  const approvalId = uuidv7();
  const own = fleetNow() + options.timeoutSeconds * 1000;
  const limit = connection.sse ? Infinity : connection.arrivedAt + options.unstreamedMaxSeconds * 1000;
  const cut = limit < own;
  const expires = Math.min(own, limit);
  const abort = new AbortController();
  connection.onAbort(() => abort.abort());
  const keepAlive = connection.sse ? setInterval(() => connection.comment(HOLD_COMMENT), options.keepAliveMs) : null;
  try {
    try {
      await approvals.request({ ...options.message, id: approvalId, expiresAt: new Date(expires).toISOString(), onTimeout: options.onTimeout }, abort.signal);
    } catch (err) {
      if (!(err instanceof ApprovalUnavailableError)) throw err;
      return { kind: connection.aborted ? 'gone' : 'unavailable', approvalId };
    }
    if (connection.aborted) return { kind: 'gone', approvalId };
    const result = await approvals.wait(approvalId, expires, abort.signal);
    switch (result.decision) {
      case 'approved':
        return { kind: 'approved', approvalId };
      case 'rejected':
        return { kind: 'rejected', approvalId, reason: result.reason };
      case 'expired':
      case 'deadline':
        return { kind: 'expired', approvalId, cut };
      default:
        // 'cancelled': the agent left (or the node is closing).
        return { kind: 'gone', approvalId };
    }
  } finally {
    if (keepAlive) clearInterval(keepAlive);
  }
}

/** The outcome to report for a hold that ended this way. */
export function holdOutcome(result: HoldResult, onTimeout: 'allow' | 'block', shuttingDown: boolean): ApprovalOutcome {
  switch (result.kind) {
    case 'approved':
      return 'forwarded';
    case 'rejected':
      return 'rejected';
    case 'expired':
    case 'unavailable':
      return onTimeout === 'allow' ? 'timed_out_allowed' : 'timed_out_blocked';
    case 'gone':
      return shuttingDown ? 'node_restarted' : 'client_gone';
  }
}
