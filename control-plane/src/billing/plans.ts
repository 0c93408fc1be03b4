import type { Plan } from '@keyward/shared';
import type { Edition } from '../config.js';
import { AppError } from '../errors.js';

/** Capabilities that depend on the organization's plan (on a service installation). */
export type PlanFeature = 'approvals' | 'webhooks' | 'slack' | 'auditSinks' | 'sso' | 'scim';

/** What a plan costs and includes. Money in integer micro-dollars. */
export interface PlanTerms {
  /** Shown in messages and statements. */
  readonly label: string;
  readonly monthlyFeeMicros: number;
  /** Model usage (at list price) covered by the fee each month; above it, usage is billed. */
  readonly includedUsageMicros: number;
  readonly features: ReadonlySet<PlanFeature>;
  /** Days request events and admin-log entries are kept; null: the organization chooses (any number of days, or forever). */
  readonly retentionDays: number | null;
}

/** The one table of plans: everything plan-dependent reads it. */
export const PLANS: Readonly<Record<Plan, PlanTerms>> = Object.freeze({
  free: {
    label: 'Free',
    monthlyFeeMicros: 0,
    includedUsageMicros: 5_000_000,
    features: new Set<PlanFeature>(),
    retentionDays: 30,
  },
  pro: {
    label: 'Pro',
    monthlyFeeMicros: 49_000_000,
    includedUsageMicros: 100_000_000,
    features: new Set<PlanFeature>(['approvals', 'webhooks', 'slack']),
    retentionDays: 30,
  },
  enterprise: {
    label: 'Enterprise',
    monthlyFeeMicros: 499_000_000,
    includedUsageMicros: 2_000_000_000,
    features: new Set<PlanFeature>(['approvals', 'webhooks', 'slack', 'auditSinks', 'sso', 'scim']),
    retentionDays: null,
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
  sso: 'Single sign-on is',
  scim: 'SCIM provisioning is',
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

/**
 * The days `plan` keeps request events and admin-log entries whatever the organization asks, or
 * null where the organization chooses: every plan of a self-hosted installation, Enterprise on a
 * service.
 */
export function planRetentionDays(edition: Edition, plan: Plan): number | null {
  return plansApply(edition) ? PLANS[plan].retentionDays : null;
}

/**
 * Throws `PLAN_REQUIRED` ("The Free plan keeps events and admin-log entries 30 days; choosing
 * another period is available on the Enterprise plan.") when the organization's plan fixes the
 * retention and `days` (null: forever) is not it.
 */
export function requireRetentionChoice(edition: Edition, org: { readonly plan: Plan }, days: number | null): void {
  const fixed = planRetentionDays(edition, org.plan);
  if (fixed === null || days === fixed) return;
  const needed = PLAN_ORDER.find((plan) => PLANS[plan].retentionDays === null) ?? 'enterprise';
  throw new AppError(
    'PLAN_REQUIRED',
    `The ${PLANS[org.plan].label} plan keeps events and admin-log entries ${fixed} days; choosing another period is available on the ${PLANS[needed].label} plan.`,
    { feature: 'retention', requiredPlan: needed },
  );
}
