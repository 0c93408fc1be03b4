import type { EnforcementContext, EnforcementOutcome, EnforcementStep, EnforcementVerdict } from '../steps/contract.js';

/**
 * Runs the chain's `before` hooks, adding each step to `passed` as it runs (so a step that
 * throws still leaves the earlier ones to be settled). Returns the first denial, or null.
 */
export async function runEnforcement(
  steps: readonly EnforcementStep[],
  ctx: EnforcementContext,
  passed: EnforcementStep[],
): Promise<Extract<EnforcementVerdict, { action: 'deny' }> | null> {
  for (const step of steps) {
    passed.push(step);
    const verdict = await step.before(ctx);
    if (verdict && verdict.action === 'deny') return verdict;
  }
  return null;
}

/** Runs `after` hooks of the steps that passed; a throwing hook is reported, not propagated. */
export async function settleEnforcement(
  steps: readonly EnforcementStep[],
  ctx: EnforcementContext,
  outcome: EnforcementOutcome,
  onError: (step: string, err: unknown) => void,
): Promise<void> {
  for (const step of steps) {
    try {
      await step.after?.(ctx, outcome);
    } catch (err) {
      onError(step.name, err);
    }
  }
}
