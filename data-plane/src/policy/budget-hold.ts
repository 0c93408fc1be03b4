import { DEFAULT_HOLD_SECONDS } from '@keyward/shared';
import type { BudgetRefusal } from '../limits/index.js';
import type { EnforcementContext, HoldVerdict } from '../steps/contract.js';
import { holdForDecision, type HoldDeps } from './holds.js';
import { requestSummary } from './summary.js';

/**
 * Holds a request that a `hold` budget refused until a person decides, through the same hold
 * and outcome table as policy holds (reason `{ kind: 'budget', budgetId }`): a rejection is 403
 * `request_rejected`, nobody answering 403 `approval_timeout`. Budgets carry no hold timeout of
 * their own: the request waits the policy language's default (240 s; less for a request that
 * is not streamed, see `holdForApproval`) and is refused when nobody answers.
 */
export function createBudgetHold(deps: HoldDeps): (ctx: EnforcementContext, refusal: BudgetRefusal) => Promise<HoldVerdict> {
  return (ctx, refusal) => {
    return holdForDecision(deps, ctx, ctx.connection, {
      phase: 'request',
      reason: { kind: 'budget', budgetId: refusal.budgetId },
      timeoutSeconds: DEFAULT_HOLD_SECONDS,
      onTimeout: 'block',
      summary: requestSummary(ctx),
    });
  };
}
