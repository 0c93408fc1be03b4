import type { ApprovalRequestMessage, ApprovalSummary, EventApi, HoldOutcome, KeyConfig, OrgConfig, PolicyDecision } from '@keyward/shared';
import type { ApprovalClient } from '../approvals/client.js';
import { holdForApproval, holdOutcome } from '../approvals/hold.js';
import { GatewayError } from '../errors.js';
import type { AgentConnection } from '../steps/agent-connection.js';
import type { HoldVerdict, PolicyTrail } from '../steps/contract.js';

/** What a policy hold needs from the node. */
export interface HoldDeps {
  readonly approvals: ApprovalClient;
  readonly nodeId: string;
  readonly keepAliveMs: number;
  /** `KEYWARD_UNSTREAMED_HOLD_SECONDS`: the longest hold of a request that is not streamed, from its arrival. */
  readonly unstreamedMaxSeconds: number;
}

/** The call a hold is for: a model request (an `EnforcementContext`) or an MCP tool call. */
export interface HeldCall {
  readonly requestId: string;
  readonly org: OrgConfig;
  readonly key: KeyConfig;
  readonly api: EventApi;
  readonly endpoint: string;
  readonly model: string | null;
  readonly policy: PolicyTrail;
}

/** What is held, why, for how long, and what the approver is shown. */
export interface HoldRequest {
  /** `tool_call` is held like a request (the approval's phase is `request`), with words about a tool. */
  readonly phase: 'request' | 'response' | 'tool_call';
  readonly reason: ApprovalRequestMessage['reason'];
  readonly timeoutSeconds: number;
  readonly onTimeout: 'allow' | 'block';
  readonly summary: ApprovalSummary;
}

const WHAT = {
  request: { thing: 'This request', withheld: 'the request was not sent' },
  response: { thing: "The model's answer", withheld: "the model's answer was withheld" },
  tool_call: { thing: 'This tool call', withheld: 'the tool was not called' },
} as const;

/** Holds a request (or the model's answer) under the policy rule that held it; see `holdForDecision`. */
export function holdPolicyDecision(
  deps: HoldDeps,
  ctx: HeldCall,
  connection: AgentConnection,
  phase: HoldRequest['phase'],
  decision: PolicyDecision,
  summary: ApprovalSummary,
): Promise<HoldVerdict> {
  const hold: HoldOutcome = decision.hold!;
  const rule = decision.matches.find((m) => !m.shadow && m.action === 'hold')!;
  return holdForDecision(deps, ctx, connection, {
    phase,
    reason: { kind: 'policy', policyId: rule.policyId, policyVersion: rule.policyVersion, ruleId: rule.ruleId },
    timeoutSeconds: hold.timeoutSeconds,
    onTimeout: hold.onTimeout,
    summary,
  });
}

/**
 * Holds a request (or, in the response phase, the model's answer) for a person's decision, keeps
 * the agent waiting, reports the outcome and says what to do next, the same for every kind of
 * hold: approved → go on (`approved`); rejected → 403 `request_rejected` with the approver's
 * reason; expired → the hold's `onTimeout` (403 `approval_timeout` when it blocks); the agent
 * gone → 499. When the control plane cannot be asked at all, `onTimeout` decides too
 * (`approval_unavailable`, 503, when it blocks).
 */
export async function holdForDecision(deps: HoldDeps, ctx: HeldCall, connection: AgentConnection, request: HoldRequest): Promise<HoldVerdict> {
  const { phase, timeoutSeconds, onTimeout } = request;
  const result = await holdForApproval({
    approvals: deps.approvals,
    connection,
    keepAliveMs: deps.keepAliveMs,
    unstreamedMaxSeconds: deps.unstreamedMaxSeconds,
    timeoutSeconds,
    onTimeout,
    message: {
      orgId: ctx.org.id,
      keyId: ctx.key.id,
      nodeId: deps.nodeId,
      requestId: ctx.requestId,
      phase: phase === 'response' ? 'response' : 'request',
      reason: request.reason,
      api: ctx.api,
      endpoint: ctx.endpoint,
      model: ctx.model,
      summary: request.summary,
    },
  });
  ctx.policy.approvalId = result.approvalId;
  deps.approvals.report(result.approvalId, holdOutcome(result, onTimeout, deps.approvals.shuttingDown));
  const { thing, withheld } = WHAT[phase];
  switch (result.kind) {
    case 'approved':
      return { proceed: true, decision: 'approved', tag: null };
    case 'rejected':
      return {
        proceed: false,
        decision: 'rejected',
        error: new GatewayError('request_rejected', 403, `${thing} was rejected by an approver${result.reason ? `: ${result.reason}` : '.'}`),
      };
    case 'expired':
      if (onTimeout === 'allow') return { proceed: true, decision: null, tag: 'approval_timed_out' };
      return {
        proceed: false,
        decision: 'blocked',
        error: new GatewayError(
          'approval_timeout',
          403,
          `${thing} needed an approval and ${expiredText(result.cut, timeoutSeconds, deps.unstreamedMaxSeconds)}; ${withheld}.`,
        ),
      };
    case 'unavailable':
      if (onTimeout === 'allow') return { proceed: true, decision: null, tag: 'approval_unavailable' };
      return {
        proceed: false,
        decision: 'error',
        error: new GatewayError('approval_unavailable', 503, `${thing} needs an approval, but the approval service could not be reached; ${withheld}.`),
      };
    case 'gone':
      return {
        proceed: false,
        decision: 'held',
        error: new GatewayError('client_closed', 499, 'The client closed the connection while the request was held for approval.'),
      };
  }
}

/**
 * Why a hold expired, for the agent ("nobody answered within…"): the hold's own timeout, or the
 * limit for requests that are not streamed.
 */
function expiredText(cut: boolean, timeoutSeconds: number, unstreamedMaxSeconds: number): string {
  if (!cut) return `nobody answered within ${timeoutSeconds} seconds`;
  return (
    `nobody answered within ${unstreamedMaxSeconds} seconds of its arrival, the longest a request that is not streamed is held ` +
    `(HTTP clients stop waiting for an answer's headers, Node's after 300 seconds); stream the request to wait the hold's ${timeoutSeconds} seconds`
  );
}
