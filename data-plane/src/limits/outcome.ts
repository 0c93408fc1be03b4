import type { AdmissionPlan } from './plan.js';
import { fitsWindow, retryAfterSeconds, tighter, windowStatus } from './rate-window.js';
import type { Admission, RateLimitStatus, RateWindowStatus, Ticket } from './types.js';

/** A budget period as a backend read it, before the request's reservation. */
export interface BudgetObservation {
  readonly spentMicros: number;
  readonly reservedMicros: number;
}

/** A rate limit's state as a backend read it, before the request was counted. */
export interface RateObservation {
  /** How far the requests TAT is ahead of now, in microseconds (0 when idle). */
  readonly requestsUsedUs: number;
  readonly tokensUsedUs: number;
  readonly inFlight: number;
}

/** Which check, if any, refused the request. Both backends decide in this order. */
export type Verdict =
  | { readonly kind: 'admit' }
  | { readonly kind: 'budget'; readonly index: number }
  | { readonly kind: 'rate'; readonly index: number; readonly dimension: 'requests' | 'tokens' | 'concurrency' };

/**
 * The admission decision over observed state: budgets first (a request over budget learns
 * that, not a transient rate limit), then each rate limit's requests, tokens and concurrency.
 * The Redis Lua script implements the same order.
 */
export function decide(plan: AdmissionPlan, budgets: readonly BudgetObservation[], limits: readonly RateObservation[]): Verdict {
  const micros = plan.request.reserveMicros;
  for (let i = 0; i < plan.budgets.length; i++) {
    const { spentMicros, reservedMicros } = budgets[i];
    if (plan.budgets[i].enforce && spentMicros + reservedMicros + micros > plan.budgets[i].config.limitMicros) {
      return { kind: 'budget', index: i };
    }
  }
  for (let j = 0; j < plan.rateLimits.length; j++) {
    const limit = plan.rateLimits[j];
    const seen = limits[j];
    if (limit.requestCostUs !== null && !fitsWindow(seen.requestsUsedUs, limit.requestCostUs)) {
      return { kind: 'rate', index: j, dimension: 'requests' };
    }
    if (limit.tokenCostUs !== null && !fitsWindow(seen.tokensUsedUs, limit.tokenCostUs)) {
      return { kind: 'rate', index: j, dimension: 'tokens' };
    }
    if (limit.concurrency !== null && seen.inFlight >= limit.concurrency) {
      return { kind: 'rate', index: j, dimension: 'concurrency' };
    }
  }
  return { kind: 'admit' };
}

/** Builds the `Admission` a caller sees from what a backend observed and decided. */
export function admissionOutcome(
  plan: AdmissionPlan,
  budgets: readonly BudgetObservation[],
  limits: readonly RateObservation[],
  verdict: Verdict,
  ticket: Ticket | null,
): Admission {
  const rateLimit = rateLimitStatus(plan, limits, verdict.kind === 'admit');
  const { request } = plan;
  if (verdict.kind === 'admit') {
    if (ticket === null) throw new Error('An admitted request needs a ticket.');
    return {
      ok: true,
      ticket,
      rateLimit,
      budgets: plan.budgets.map((b, i) => ({
        budgetId: b.config.id,
        periodKey: b.window.key,
        limitMicros: b.config.limitMicros,
        spentMicros: budgets[i].spentMicros,
        reservedMicros: budgets[i].reservedMicros + request.reserveMicros,
      })),
    };
  }
  if (verdict.kind === 'budget') {
    const { config, window } = plan.budgets[verdict.index];
    const { spentMicros, reservedMicros } = budgets[verdict.index];
    const left = Math.max(0, config.limitMicros - spentMicros - reservedMicros);
    return {
      ok: false,
      reason: 'budget_exceeded',
      message:
        `Budget ${config.id} (${config.scope.kind} ${config.scope.id}, ${config.period}) has ${left} of ` +
        `${config.limitMicros} micro-dollars left; the request may cost up to ${request.reserveMicros}.`,
      budgetId: config.id,
      scope: config.scope,
      action: config.action,
      periodKey: window.key,
      limitMicros: config.limitMicros,
      spentMicros,
      reservedMicros,
      requestedMicros: request.reserveMicros,
      retryAfterSeconds: Number.isFinite(window.endMs) ? Math.max(1, Math.ceil((window.endMs - request.now) / 1000)) : null,
      renewsAt: Number.isFinite(window.endMs) ? window.endMs : null,
      rateLimit,
    };
  }
  const limit = plan.rateLimits[verdict.index];
  const seen = limits[verdict.index];
  const { config } = limit;
  const [value, retry] =
    verdict.dimension === 'requests'
      ? [config.requestsPerMinute!, retryAfterSeconds(seen.requestsUsedUs, limit.requestCostUs!)]
      : verdict.dimension === 'tokens'
        ? [config.tokensPerMinute!, retryAfterSeconds(seen.tokensUsedUs, limit.tokenCostUs!)]
        : // Nothing says when an in-flight request ends; a second is a polite first retry.
          [config.concurrentRequests!, 1];
  const what =
    verdict.dimension === 'concurrency'
      ? `${value} concurrent requests`
      : `${value} ${verdict.dimension} per minute${retry === null ? `, and this request alone needs ${request.reserveTokens} tokens` : ''}`;
  return {
    ok: false,
    reason: 'rate_limited',
    message: `Rate limit ${config.id} (${config.scope.kind} ${config.scope.id}) allows ${what}.`,
    rateLimitId: config.id,
    scope: config.scope,
    dimension: verdict.dimension,
    limit: value,
    retryAfterSeconds: retry,
    rateLimit,
  };
}

/** The tightest request and token windows, counting this request only if it was admitted. */
function rateLimitStatus(plan: AdmissionPlan, limits: readonly RateObservation[], admitted: boolean): RateLimitStatus {
  let requests: RateWindowStatus | null = null;
  let tokens: RateWindowStatus | null = null;
  plan.rateLimits.forEach((limit, j) => {
    const seen = limits[j];
    if (limit.requestCostUs !== null) {
      const used = seen.requestsUsedUs + (admitted ? limit.requestCostUs : 0);
      requests = tighter(requests, windowStatus(limit.config.requestsPerMinute!, used));
    }
    if (limit.tokenCostUs !== null) {
      const used = seen.tokensUsedUs + (admitted ? limit.tokenCostUs : 0);
      tokens = tighter(tokens, windowStatus(limit.config.tokensPerMinute!, used));
    }
  });
  return { requests, tokens };
}

/** The rate status of a request that no limit applied to, or that never reached the counters. */
export const NO_RATE_LIMIT: RateLimitStatus = Object.freeze({ requests: null, tokens: null });
