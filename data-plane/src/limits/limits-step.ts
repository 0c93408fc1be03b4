import type { BudgetPeriod, Decision } from '@keyward/shared';
import { GatewayError } from '../errors.js';
import {
  appliesTo,
  localMinute,
  rateLimitHeaders,
  type Admission,
  type BudgetRefusal,
  type LimitScope,
  type Limiter,
  type Refusal,
  type Ticket,
} from './index.js';
import type { Logger } from '../observability/logger.js';
import type { OrgLimitBook, OrgLimits } from './org-limits.js';
import { maxCostOf, UNPRICED_TAG } from '../estimate/max-cost.js';
import type { EnforcementContext, EnforcementOutcome, EnforcementStep, EnforcementVerdict, HoldVerdict } from '../steps/contract.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Options of `createLimitsStep`. */
export interface LimitsStepOptions {
  readonly limiter: Limiter;
  /** Budgets and rate limits per organization, seeded with their spend (shared with MCP tool calls). */
  readonly limits: OrgLimitBook;
  readonly logger: Logger;
  /**
   * Holds a request that a `hold` budget refused until a person decides. Without it, such a
   * request is refused like a `block` budget's (the approvals client is not wired in).
   */
  readonly holdForApproval?: (ctx: EnforcementContext, refusal: BudgetRefusal) => Promise<HoldVerdict>;
  /** Epoch ms; the limiter's periods follow it. */
  readonly clock?: () => number;
}

/**
 * The enforcement step for budgets and rate limits. Before forwarding it reserves the request's
 * most possible cost (`maxCostOf`) on every budget and rate limit of the key, its team and its
 * organization in one atomic `admit`, and refuses in the API family's error format: a budget
 * with a 429 `budget_exceeded` (OpenAI `insufficient_quota`), a rate limit with a 429
 * `rate_limited` and `Retry-After`, unreachable shared counters of an organization that fails
 * closed with a 503. `x-ratelimit-*` headers go on every answer a rate limit applies to. After
 * the answer it settles the reservation to the real cost (or the metering estimate of a cut
 * stream), or releases it when the provider never answered successfully and nothing was used.
 */
export function createLimitsStep(options: LimitsStepOptions): EnforcementStep {
  const clock = options.clock ?? fleetNow;
  const tickets = new WeakMap<EnforcementContext, Ticket>();

  const admit = (ctx: EnforcementContext, limits: OrgLimits, cost: { micros: number; tokens: number }, exempt: readonly string[]) =>
    options.limiter.admit({
      orgId: ctx.org.id,
      teamId: ctx.key.teamId,
      keyId: ctx.key.id,
      poolId: ctx.key.poolId ?? null,
      now: clock(),
      timeZone: ctx.org.timeZone,
      failMode: ctx.org.limiterFailMode,
      budgets: limits.budgets,
      rateLimits: limits.rateLimits,
      reserveMicros: cost.micros,
      reserveTokens: cost.tokens,
      exemptBudgetIds: exempt,
    });

  return {
    name: 'limits',
    async before(ctx): Promise<EnforcementVerdict | void> {
      const limits = await options.limits.of(ctx.org.id);
      if (limits.budgets.length === 0 && limits.rateLimits.length === 0) return;
      const cost = maxCostOf(ctx.operation, ctx.body, ctx.model, ctx.org, ctx.translatedOutputCap);
      if (!cost.priced && (ctx.org.unpricedModels?.mode ?? 'refuse') === 'refuse' && limits.budgets.some((b) => appliesTo(b.scope, requestScope(ctx)))) {
        ctx.tags.push(UNPRICED_TAG);
        return { action: 'deny', error: unpricedModelError(ctx.model), decision: 'denied' };
      }
      let admission = await admit(ctx, limits, cost, []);
      if (!admission.ok && admission.reason === 'budget_exceeded' && admission.action === 'hold' && options.holdForApproval) {
        const verdict = await options.holdForApproval(ctx, admission);
        if (!verdict.proceed) return deny(ctx, admission, verdict.error, verdict.decision);
        // Approved: charged to the held budget, which no longer refuses this one request.
        admission = await admit(ctx, limits, cost, [admission.budgetId]);
      }
      applyHeaders(ctx, admission);
      if (admission.ok) {
        tickets.set(ctx, admission.ticket);
        return;
      }
      return refuse(ctx, admission, limits);
    },
    async after(ctx, outcome: EnforcementOutcome): Promise<void> {
      const ticket = tickets.get(ctx);
      if (!ticket) return;
      tickets.delete(ctx);
      const usage = outcome.usage;
      if (usage === null && outcome.costMicros === 0) {
        await options.limiter.release(ticket);
        return;
      }
      const tokens = usage ? usage.inputTokens + usage.outputTokens : 0;
      const result = await options.limiter.settle(ticket, { costMicros: outcome.costMicros, tokens, now: clock() });
      for (const crossing of result.crossed) {
        // The control plane sends the alert (from its authoritative rollups); the node only notes it.
        options.logger.info({ requestId: ctx.requestId, budgetId: crossing.budgetId, threshold: crossing.threshold }, 'budget threshold crossed');
      }
    },
  };
}

function requestScope(ctx: EnforcementContext) {
  return { orgId: ctx.org.id, teamId: ctx.key.teamId, keyId: ctx.key.id, poolId: ctx.key.poolId ?? null };
}

/**
 * A model without a price would pass every budget and prepaid credit balance at $0 while the
 * provider charges for it, so while one applies it is refused unless the organization chose a
 * fallback (`unpricedModels`: charge a set price, or allow and tag the event `unpriced`).
 */
function unpricedModelError(model: string): GatewayError {
  return new GatewayError(
    'model_unpriced',
    403,
    `The model "${model}" has no price, so the budgets and prepaid credits that apply to this key cannot count its cost. ` +
      'An administrator can add its price per million tokens (GraphQL mutation setCustomModelPrice, or Budgets → Model prices in the console), ' +
      'or choose what happens to unpriced models (organization setting unpricedModels: charge a set price, or allow and tag).',
  );
}

function refuse(ctx: EnforcementContext, refusal: Refusal, limits: OrgLimits): EnforcementVerdict {
  if (refusal.reason === 'budget_exceeded') {
    ctx.setResponseHeader('x-keyward-budget-id', refusal.budgetId);
    if (refusal.renewsAt !== null) ctx.setResponseHeader('x-keyward-budget-renews-at', new Date(refusal.renewsAt).toISOString());
    return deny(ctx, refusal, new GatewayError('budget_exceeded', 429, refusalMessage(refusal, limits, ctx.org.timeZone)), 'budget_exceeded');
  }
  if (refusal.reason === 'rate_limited') {
    return deny(ctx, refusal, new GatewayError('rate_limited', 429, refusal.message), 'rate_limited');
  }
  return deny(ctx, refusal, new GatewayError('limiter_unavailable', 503, refusal.message), 'error');
}

function deny(ctx: EnforcementContext, refusal: Refusal, error: GatewayError, decision: Decision): EnforcementVerdict {
  ctx.tags.push(tagOf(refusal));
  return { action: 'deny', error, decision };
}

const PER_PERIOD: Readonly<Record<BudgetPeriod, string>> = { day: 'per day', week: 'per week', month: 'per month', lifetime: 'in total' };
const PERIOD_ADJECTIVES: Readonly<Record<BudgetPeriod, string>> = { day: 'daily', week: 'weekly', month: 'monthly', lifetime: 'lifetime' };
const SCOPE_WORDS: Readonly<Record<LimitScope['kind'], string>> = { org: 'organization', team: 'team', key: 'key', pool: 'key pool' };

/**
 * A refusal an agent's operator can act on: the budget by its name (or scope and period when it
 * has none), its limit, what is spent, and when it renews as an ISO instant and as the
 * organization's wall clock (`It renews 2026-12-07T00:00:00.000Z (2026-12-07 00:00 Europe/Paris).`).
 * The same facts travel as `retry-after`, `x-keyward-budget-id` and `x-keyward-budget-renews-at`.
 */
function refusalMessage(refusal: BudgetRefusal, limits: OrgLimits, timeZone: string): string {
  const config = limits.budgets.find((b) => b.id === refusal.budgetId);
  const period = config?.period ?? 'lifetime';
  const label = config?.name ? `Budget '${config.name}'` : `The ${SCOPE_WORDS[refusal.scope.kind]}'s ${PERIOD_ADJECTIVES[period]} budget`;
  const left = refusal.limitMicros - refusal.spentMicros - refusal.reservedMicros;
  const state =
    refusal.spentMicros >= refusal.limitMicros
      ? `is used up: ${usd(refusal.spentMicros)} spent`
      : `has ${usd(left)} left${refusal.reservedMicros > 0 ? ` (${usd(refusal.reservedMicros)} is held by requests in flight)` : ''}, and this request may cost up to ${usd(refusal.requestedMicros)}`;
  const renewal =
    refusal.renewsAt === null
      ? 'It does not renew: raise its limit or add credits.'
      : `It renews ${new Date(refusal.renewsAt).toISOString()} (${localMinute(refusal.renewsAt, timeZone)} ${timeZone}).`;
  return `${label} (${usd(refusal.limitMicros)} ${PER_PERIOD[period]}) ${state}. ${renewal}`;
}

function usd(micros: number): string {
  return `$${(Math.max(0, micros) / 1_000_000).toFixed(6).replace(/0{1,4}$/, '')}`;
}

function tagOf(refusal: Refusal): string {
  if (refusal.reason === 'budget_exceeded') return `budget:${refusal.budgetId}`;
  if (refusal.reason === 'rate_limited') return `rate_limit:${refusal.rateLimitId}:${refusal.dimension}`;
  return 'limiter_unavailable';
}

function applyHeaders(ctx: EnforcementContext, admission: Admission): void {
  for (const [name, value] of Object.entries(rateLimitHeaders(admission))) ctx.setResponseHeader(name, value);
}
