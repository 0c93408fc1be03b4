import { DEFAULT_HOLD_SECONDS } from '@keyward/shared';
import { holdForDecision, type HoldDeps } from '../policy/holds.js';
import { requestSummary } from '../policy/summary.js';
import type { EnforcementStep } from '../steps/contract.js';
import type { AnomalyScorer } from './anomaly-scorer.js';

/**
 * Holds every request of a key held after an anomaly (`anomalyResponse.action: hold`) for a
 * person's approval, through the same approval protocol and outcome table as policy and budget
 * holds (reason `{ kind: 'anomaly' }`), until a person releases the key (`releaseKeyHold`). It
 * waits the policy language's default hold time and is refused when nobody answers.
 */
export function createAnomalyHoldStep(scorer: AnomalyScorer, deps: HoldDeps): EnforcementStep {
  return {
    name: 'anomaly-hold',
    async before(ctx) {
      if (scorer.stopOf(ctx.key)?.kind !== 'held') return;
      const verdict = await holdForDecision(deps, ctx, ctx.connection, {
        phase: 'request',
        reason: { kind: 'anomaly' },
        timeoutSeconds: DEFAULT_HOLD_SECONDS,
        onTimeout: 'block',
        summary: requestSummary(ctx),
      });
      if (!verdict.proceed) return { action: 'deny', error: verdict.error, decision: verdict.decision };
      if (verdict.decision) ctx.decision = verdict.decision;
      if (verdict.tag) ctx.tags.push(verdict.tag);
    },
  };
}
