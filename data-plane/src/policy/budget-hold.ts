import { DEFAULT_HOLD_SECONDS } from '@keyward/shared';
import { holdForApproval, holdOutcome } from '../approvals/hold.js';
import type { BudgetRefusal } from '../limits/index.js';
import type { EnforcementContext } from '../steps/contract.js';
import type { BudgetHoldDecision } from '../limits/limits-step.js';
import { EXTRACT_ALL, requestCodec } from './body/index.js';
import { expiredText, type HoldDeps } from './holds.js';
import { approvalSummary } from './summary.js';

/**
 * Holds a request that a `hold` budget refused until a person decides, through the same
 * approval protocol as policy holds (reason `{ kind: 'budget', budgetId }`). Budgets carry no
 * hold timeout of their own: the request waits the policy language's default (240 s; less for
 * a request that is not streamed, see `holdForApproval`) and is refused when nobody answers.
 */
export function createBudgetHold(deps: HoldDeps): (ctx: EnforcementContext, refusal: BudgetRefusal) => Promise<BudgetHoldDecision> {
  return async (ctx, refusal) => {
    const codec = requestCodec(ctx.api, ctx.endpoint);
    const all = codec?.extract(ctx.body, EXTRACT_ALL);
    const result = await holdForApproval({
      approvals: deps.approvals,
      connection: ctx.connection,
      keepAliveMs: deps.keepAliveMs,
      unstreamedMaxSeconds: deps.unstreamedMaxSeconds,
      timeoutSeconds: DEFAULT_HOLD_SECONDS,
      onTimeout: 'block',
      message: {
        orgId: ctx.org.id,
        keyId: ctx.key.id,
        nodeId: deps.nodeId,
        requestId: ctx.requestId,
        phase: 'request',
        reason: { kind: 'budget', budgetId: refusal.budgetId },
        api: ctx.api,
        endpoint: ctx.endpoint,
        model: ctx.model,
        summary: approvalSummary({ systemText: all?.systemText ?? '', messages: all?.messages ?? [], toolCalls: all?.toolCalls ?? [] }),
      },
    });
    ctx.policy.approvalId = result.approvalId;
    deps.approvals.report(result.approvalId, holdOutcome(result, 'block', deps.approvals.shuttingDown));
    switch (result.kind) {
      case 'approved':
        return { approved: true, approvalId: result.approvalId, reason: null };
      case 'rejected':
        return { approved: false, approvalId: result.approvalId, reason: `This request is over budget and was rejected by an approver${result.reason ? `: ${result.reason}` : '.'}` };
      case 'expired':
        return { approved: false, approvalId: result.approvalId, reason: `This request is over budget and ${expiredText(result.cut, DEFAULT_HOLD_SECONDS, deps.unstreamedMaxSeconds, 'approved it')}.` };
      case 'unavailable':
        return { approved: false, approvalId: result.approvalId, reason: 'This request is over budget and the approval service could not be reached.' };
      default:
        return { approved: false, approvalId: result.approvalId, reason: 'The client closed the connection while the request was held for approval.' };
    }
  };
}
