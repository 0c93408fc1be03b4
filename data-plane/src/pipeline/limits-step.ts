import type { BudgetConfig, ConfigSnapshot, RateLimitConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { GatewayError } from '../errors.js';
import { rateLimitHeaders, type Admission, type BudgetRefusal, type Limiter, type Refusal, type Ticket } from '../limits/index.js';
import type { Logger } from '../observability/logger.js';
import type { EnforcementContext, EnforcementOutcome, EnforcementStep, EnforcementVerdict } from './enforcement.js';
import { maxCostOf } from './max-cost.js';

/** What a person decided about a request a `hold` budget stopped. */
export interface BudgetHoldDecision {
  readonly approved: boolean;
  /** The approval request the call waited on (recorded on the event). */
  readonly approvalId: string | null;
  /** Shown to the agent when refused. */
  readonly reason: string | null;
}

/** Options of `createLimitsStep`. */
export interface LimitsStepOptions {
  readonly limiter: Limiter;
  /** The config being served: budgets and rate limits are read from it per request. */
  readonly view: () => ConfigView | null;
  readonly logger: Logger;
  /**
   * Holds a request that a `hold` budget refused until a person decides. Without it, such a
   * request is refused like a `block` budget's (the approvals client is not wired in).
   */
  readonly holdForApproval?: (ctx: EnforcementContext, refusal: BudgetRefusal) => Promise<BudgetHoldDecision>;
  /** Epoch ms; the limiter's periods follow it. */
  readonly clock?: () => number;
}

interface OrgLimits {
  readonly budgets: BudgetConfig[];
  readonly rateLimits: RateLimitConfig[];
}

const NO_LIMITS: OrgLimits = Object.freeze({ budgets: [], rateLimits: [] });

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
  const clock = options.clock ?? Date.now;
  const tickets = new WeakMap<EnforcementContext, Ticket>();
  const indexes = new WeakMap<ConfigSnapshot, Map<string, OrgLimits>>();

  const limitsOf = (orgId: string): OrgLimits => {
    const snapshot = options.view()?.snapshot;
    if (!snapshot) return NO_LIMITS;
    let index = indexes.get(snapshot);
    if (!index) {
      index = indexLimits(snapshot);
      indexes.set(snapshot, index);
    }
    return index.get(orgId) ?? NO_LIMITS;
  };

  const admit = (ctx: EnforcementContext, limits: OrgLimits, cost: { micros: number; tokens: number }, exempt: readonly string[]) =>
    options.limiter.admit({
      orgId: ctx.org.id,
      teamId: ctx.key.teamId,
      keyId: ctx.key.id,
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
      const limits = limitsOf(ctx.org.id);
      if (limits.budgets.length === 0 && limits.rateLimits.length === 0) return;
      const cost = maxCostOf(ctx.api, ctx.endpoint, ctx.body, ctx.model, ctx.org.customModels);
      let admission = await admit(ctx, limits, cost, []);
      if (!admission.ok && admission.reason === 'budget_exceeded' && admission.action === 'hold' && options.holdForApproval) {
        const decision = await options.holdForApproval(ctx, admission);
        if (!decision.approved) {
          return deny(ctx, admission, new GatewayError('budget_exceeded', 429, decision.reason ?? refusalMessage(admission)), 'rejected');
        }
        // Approved: charged to the held budget, which no longer refuses this one request.
        admission = await admit(ctx, limits, cost, [admission.budgetId]);
      }
      applyHeaders(ctx, admission);
      if (admission.ok) {
        tickets.set(ctx, admission.ticket);
        return;
      }
      return refuse(ctx, admission);
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

function refuse(ctx: EnforcementContext, refusal: Refusal): EnforcementVerdict {
  if (refusal.reason === 'budget_exceeded') {
    return deny(ctx, refusal, new GatewayError('budget_exceeded', 429, refusalMessage(refusal)), 'budget_exceeded');
  }
  if (refusal.reason === 'rate_limited') {
    return deny(ctx, refusal, new GatewayError('rate_limited', 429, refusal.message), 'rate_limited');
  }
  return deny(ctx, refusal, new GatewayError('limiter_unavailable', 503, refusal.message), 'error');
}

function deny(ctx: EnforcementContext, refusal: Refusal, error: GatewayError, decision: 'budget_exceeded' | 'rate_limited' | 'rejected' | 'error'): EnforcementVerdict {
  ctx.tags.push(tagOf(refusal));
  return { action: 'deny', error, decision };
}

/** A refusal message that names the budget and says what would help, in words an agent's operator reads. */
function refusalMessage(refusal: BudgetRefusal): string {
  const scope = refusal.scope.kind === 'org' ? 'organization' : refusal.scope.kind;
  const when = refusal.retryAfterSeconds === null ? 'It does not renew (lifetime budget).' : `It renews in ${refusal.retryAfterSeconds} s.`;
  return `Budget ${refusal.budgetId} of this ${scope} (${refusal.periodKey}) is exhausted: ${usd(refusal.limitMicros - refusal.spentMicros - refusal.reservedMicros)} of ${usd(refusal.limitMicros)} left, and this request may cost up to ${usd(refusal.requestedMicros)}. ${when}`;
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

/** Budgets and rate limits grouped by organization, in id order so refusals name a stable one. */
function indexLimits(snapshot: ConfigSnapshot): Map<string, OrgLimits> {
  const index = new Map<string, { budgets: BudgetConfig[]; rateLimits: RateLimitConfig[] }>();
  const of = (orgId: string) => {
    let entry = index.get(orgId);
    if (!entry) {
      entry = { budgets: [], rateLimits: [] };
      index.set(orgId, entry);
    }
    return entry;
  };
  for (const id of Object.keys(snapshot.budgets).sort()) of(snapshot.budgets[id].orgId).budgets.push(snapshot.budgets[id]);
  for (const id of Object.keys(snapshot.rateLimits).sort()) of(snapshot.rateLimits[id].orgId).rateLimits.push(snapshot.rateLimits[id]);
  return index;
}
