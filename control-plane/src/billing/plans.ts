import type { Plan } from '@keyward/shared';
import type { Edition } from '../config.js';
import { AppError } from '../errors.js';

/** Capabilities that depend on the organization's plan (on a service installation). */
export type PlanFeature = 'approvals' | 'webhooks' | 'slack' | 'auditSinks';

/** What a plan costs and includes. Money in integer micro-dollars. */
export interface PlanTerms {
  /** Shown in messages and statements. */
  readonly label: string;
  readonly monthlyFeeMicros: number;
  /** Model usage (at list price) covered by the fee each month; above it, usage is billed. */
  readonly includedUsageMicros: number;
  readonly features: ReadonlySet<PlanFeature>;
}

/** The one table of plans: everything plan-dependent reads it. */
export const PLANS: Readonly<Record<Plan, PlanTerms>> = Object.freeze({
  free: {
    label: 'Free',
    monthlyFeeMicros: 0,
    includedUsageMicros: 5_000_000,
    features: new Set<PlanFeature>(),
  },
  pro: {
    label: 'Pro',
    monthlyFeeMicros: 49_000_000,
    includedUsageMicros: 100_000_000,
    features: new Set<PlanFeature>(['approvals', 'webhooks', 'slack']),
  },
  enterprise: {
    label: 'Enterprise',
    monthlyFeeMicros: 499_000_000,
    includedUsageMicros: 2_000_000_000,
    features: new Set<PlanFeature>(['approvals', 'webhooks', 'slack', 'auditSinks']),
  },
});

/** Plans from cheapest to most complete, to name the first that has a feature. */
const PLAN_ORDER: readonly Plan[] = ['free', 'pro', 'enterprise'];

/** How messages name each feature, verb included. */
const FEATURE_PHRASES: Readonly<Record<PlanFeature, string>> = {
  approvals: 'Approvals are',
  webhooks: 'Webhooks are',
  slack: 'Slack notifications are',
  auditSinks: 'Audit sinks are',
};

/** Whether organizations have plans: only where Keyward runs as a service that sells them. */
export function plansApply(edition: Edition): boolean {
  return edition === 'service';
}

/** Whether `plan` includes `feature`. */
function planHas(plan: Plan, feature: PlanFeature): boolean {
  return PLANS[plan].features.has(feature);
}

/** The cheapest plan that includes `feature`. */
function cheapestPlanWith(feature: PlanFeature): Plan {
  return PLAN_ORDER.find((plan) => planHas(plan, feature)) ?? 'enterprise';
}

/**
 * Throws `PLAN_REQUIRED` ("Webhooks are available on the Pro plan.") unless the installation is
 * self-hosted (every feature on) or the organization's plan includes the feature. Call it in the
 * service of anything a plan unlocks.
 */
export function requirePlanFeature(edition: Edition, org: { readonly plan: Plan }, feature: PlanFeature): void {
  if (!plansApply(edition) || planHas(org.plan, feature)) return;
  const needed = cheapestPlanWith(feature);
  throw new AppError('PLAN_REQUIRED', `${FEATURE_PHRASES[feature]} available on the ${PLANS[needed].label} plan.`, {
    feature,
    requiredPlan: needed,
  });
}
