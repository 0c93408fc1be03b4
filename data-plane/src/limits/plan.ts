import { periodWindow, type PeriodWindow } from '@keyward/shared';
import { windowCost } from './rate-window.js';
import type { AdmissionRequest, BudgetConfig, BudgetThreshold, LimitScope, RateLimitConfig, Ticket } from './types.js';

/** A budget that applies to a request, with its current period resolved. */
interface PlannedBudget {
  readonly config: BudgetConfig;
  readonly window: PeriodWindow;
  /** False for budgets in `exemptBudgetIds`: charged, never refusing. */
  readonly enforce: boolean;
  readonly thresholds: readonly BudgetThreshold[];
}

/** A rate limit that applies to a request, with the request's costs in GCRA microseconds. */
interface PlannedRateLimit {
  readonly config: RateLimitConfig;
  readonly requestCostUs: number | null;
  readonly tokenCostUs: number | null;
  readonly concurrency: number | null;
}

/** An admission request checked and resolved into exactly what both backends charge. */
export interface AdmissionPlan {
  readonly request: AdmissionRequest;
  readonly budgets: readonly PlannedBudget[];
  readonly rateLimits: readonly PlannedRateLimit[];
}

/**
 * Validates a request and keeps only the budgets and rate limits whose scope is this request's
 * organization, team or key, in the order given (so a refusal names a predictable budget).
 * Throws a RangeError naming the bad value: amounts are computed by the data plane and limits
 * validated by the control plane, so a bad one here is a bug, not a user error.
 */
export function planAdmission(request: AdmissionRequest): AdmissionPlan {
  requireAmount(request.reserveMicros, 'reserveMicros');
  requireAmount(request.reserveTokens, 'reserveTokens');
  requireAmount(request.now, 'now');
  const exempt = new Set(request.exemptBudgetIds ?? []);
  const budgets: PlannedBudget[] = [];
  const seen = new Set<string>();
  for (const config of request.budgets) {
    if (config.orgId !== request.orgId || !appliesTo(config.scope, request) || seen.has(config.id)) continue;
    seen.add(config.id);
    requireAmount(config.limitMicros, `limitMicros of budget ${config.id}`);
    budgets.push({
      config,
      window: periodWindow(config.period, request.now, request.timeZone),
      enforce: !exempt.has(config.id),
      thresholds: thresholdsOf(config),
    });
  }
  const rateLimits: PlannedRateLimit[] = [];
  seen.clear();
  for (const config of request.rateLimits) {
    if (config.orgId !== request.orgId || !appliesTo(config.scope, request) || seen.has(config.id)) continue;
    seen.add(config.id);
    const rpm = optionalRate(config.requestsPerMinute, 'requestsPerMinute', config.id);
    const tpm = optionalRate(config.tokensPerMinute, 'tokensPerMinute', config.id);
    const concurrency = optionalRate(config.concurrentRequests, 'concurrentRequests', config.id);
    if (rpm === null && tpm === null && concurrency === null) continue;
    rateLimits.push({
      config,
      requestCostUs: rpm === null ? null : windowCost(1, rpm),
      tokenCostUs: tpm === null ? null : windowCost(request.reserveTokens, tpm),
      concurrency,
    });
  }
  return { request, budgets, rateLimits };
}

/** The ticket for an admitted plan. */
export function ticketFor(plan: AdmissionPlan, id: string, leaseMs: number): Ticket {
  const { request } = plan;
  return {
    id,
    orgId: request.orgId,
    admittedAt: request.now,
    expiresAt: request.now + leaseMs,
    reservedMicros: request.reserveMicros,
    reservedTokens: request.reserveTokens,
    budgets: plan.budgets.map((b) => ({
      budgetId: b.config.id,
      periodKey: b.window.key,
      periodEndMs: b.window.endMs,
      limitMicros: b.config.limitMicros,
      thresholds: b.thresholds,
    })),
    rateLimits: plan.rateLimits.map((l) => ({
      rateLimitId: l.config.id,
      tokensPerMinute: l.tokenCostUs === null ? null : (l.config.tokensPerMinute ?? null),
      holdsConcurrencySlot: l.concurrency !== null,
    })),
  };
}

/** Throws unless `value` is a non-negative safe integer. */
export function requireAmount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}.`);
  }
}

/** True when a budget or rate limit with this scope counts the request's organization, team, key or key pool. */
export function appliesTo(scope: LimitScope, request: Pick<AdmissionRequest, 'orgId' | 'teamId' | 'keyId' | 'poolId'>): boolean {
  switch (scope.kind) {
    case 'org':
      return scope.id === request.orgId;
    case 'team':
      return request.teamId !== null && scope.id === request.teamId;
    case 'key':
      return scope.id === request.keyId;
    case 'pool':
      return request.poolId != null && scope.id === request.poolId;
  }
}

function optionalRate(value: number | undefined, name: string, id: string): number | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} of rate limit ${id} must be a positive integer, got ${value}.`);
  }
  return value;
}

/**
 * Thresholds as spend amounts. A threshold is reached when spend is at least its share of the
 * limit, and never at zero spend (a zero limit would otherwise alert on every settlement).
 */
function thresholdsOf(config: BudgetConfig): BudgetThreshold[] {
  const percents = [...new Set(config.alertThresholds)].filter((p) => Number.isFinite(p) && p > 0).sort((a, b) => a - b);
  return percents.map((percent) => ({
    percent,
    micros: Math.max(1, Math.ceil((config.limitMicros * percent) / 100)),
  }));
}
