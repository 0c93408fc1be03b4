/**
 * Budgets, rate limits and the one interface both limiter backends implement.
 *
 * Money is always an integer number of micro-dollars (1 USD = 1_000_000) and time is epoch
 * milliseconds. Every amount must be a safe integer: the Redis backend does its arithmetic in
 * Lua doubles, which are exact only up to 2^53.
 */

import type { BudgetConfig, LimitScopeRef, RateLimitConfig } from '@keyward/shared';

/** Budgets and rate limits arrive in the pushed config; their shapes are the wire contract's. */
export type { BudgetConfig, RateLimitConfig };

/** The entity a budget or rate limit counts: an organization, one of its teams, one key, or a key pool. */
export type LimitScope = LimitScopeRef;

/** What a node does when the shared counters cannot be reached. */
export type FailMode = 'closed' | 'open';

/** Everything a limiter needs to decide about one request before it is forwarded. */
export interface AdmissionRequest {
  readonly orgId: string;
  readonly teamId: string | null;
  readonly keyId: string;
  /** The key pool the key was given from, whose budgets and rate limits count it too (absent: none). */
  readonly poolId?: string | null;
  /** Epoch milliseconds; the caller's clock, so tests and replays are deterministic. */
  readonly now: number;
  /** Budgets of the organization; those whose scope is not this org, team or key are ignored. */
  readonly budgets: readonly BudgetConfig[];
  /** Rate limits of the organization; those whose scope does not match are ignored. */
  readonly rateLimits: readonly RateLimitConfig[];
  /** The most the request can cost, in micro-dollars: reserved until it settles. */
  readonly reserveMicros: number;
  /** The most tokens the request can use (prompt plus max output): charged to tokens per minute. */
  readonly reserveTokens: number;
  /** The organization's IANA time zone: calendar budget periods follow it. */
  readonly timeZone: string;
  /** Budgets charged but not enforced, e.g. after a person approved a held request. */
  readonly exemptBudgetIds?: readonly string[];
  /** Only `ResilientLimiter` reads it: the organization's choice when Redis is unreachable. */
  readonly failMode?: FailMode;
}

/** One alert threshold of a budget, with the spend at which it fires precomputed. */
export interface BudgetThreshold {
  readonly percent: number;
  readonly micros: number;
}

/** A budget as a ticket remembers it: settlement charges the period the request was admitted in. */
interface TicketBudget {
  readonly budgetId: string;
  readonly periodKey: string;
  /** Epoch ms the period ends (`Infinity` for lifetime budgets). */
  readonly periodEndMs: number;
  readonly limitMicros: number;
  readonly thresholds: readonly BudgetThreshold[];
}

/** A rate limit as a ticket remembers it, to correct tokens and free a concurrency slot. */
interface TicketRateLimit {
  readonly rateLimitId: string;
  readonly tokensPerMinute: number | null;
  readonly holdsConcurrencySlot: boolean;
}

/**
 * Proof of an admission: hand it back to `settle` or `release` exactly once. Its reservations
 * lapse on their own at `expiresAt`, so a ticket that is dropped never holds money for long.
 */
export interface Ticket {
  readonly id: string;
  readonly orgId: string;
  readonly admittedAt: number;
  readonly expiresAt: number;
  readonly reservedMicros: number;
  readonly reservedTokens: number;
  readonly budgets: readonly TicketBudget[];
  readonly rateLimits: readonly TicketRateLimit[];
}

/** One OpenAI-style rate window as reported in `x-ratelimit-*` headers. */
export interface RateWindowStatus {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window is back to its full allowance. */
  readonly resetMs: number;
}

/** The tightest request and token windows that applied (null when no such limit exists). */
export interface RateLimitStatus {
  readonly requests: RateWindowStatus | null;
  readonly tokens: RateWindowStatus | null;
}

/** Where a budget stands for its current period. */
export interface BudgetStanding {
  readonly budgetId: string;
  readonly periodKey: string;
  readonly limitMicros: number;
  readonly spentMicros: number;
  readonly reservedMicros: number;
}

/** The request may go ahead; its costs are reserved under `ticket`. */
interface AdmissionGranted {
  readonly ok: true;
  readonly ticket: Ticket;
  /** Every applicable budget after this request's reservation. */
  readonly budgets: readonly BudgetStanding[];
  readonly rateLimit: RateLimitStatus;
}

/** A budget would be exceeded by the request's maximum cost. */
export interface BudgetRefusal {
  readonly ok: false;
  readonly reason: 'budget_exceeded';
  readonly message: string;
  readonly budgetId: string;
  readonly scope: LimitScope;
  readonly action: 'block' | 'hold';
  readonly periodKey: string;
  readonly limitMicros: number;
  readonly spentMicros: number;
  readonly reservedMicros: number;
  readonly requestedMicros: number;
  /** Seconds until the period starts over; null for lifetime budgets. */
  readonly retryAfterSeconds: number | null;
  /** Epoch ms the period starts over; null for lifetime budgets. */
  readonly renewsAt: number | null;
  readonly rateLimit: RateLimitStatus;
}

/** A requests, tokens or concurrency limit has no room for the request. */
interface RateLimitRefusal {
  readonly ok: false;
  readonly reason: 'rate_limited';
  readonly message: string;
  readonly rateLimitId: string;
  readonly scope: LimitScope;
  readonly dimension: 'requests' | 'tokens' | 'concurrency';
  readonly limit: number;
  /** For a 429 `Retry-After`; null when waiting cannot help (more tokens than a whole minute allows). */
  readonly retryAfterSeconds: number | null;
  readonly rateLimit: RateLimitStatus;
}

/** The shared counters could not be reached and the organization fails closed (a 503). */
export interface UnavailableRefusal {
  readonly ok: false;
  readonly reason: 'limiter_unavailable';
  readonly message: string;
  readonly retryAfterSeconds: number;
  readonly rateLimit: RateLimitStatus;
}

/** The outcome of `Limiter.admit`. */
export type Admission = AdmissionGranted | BudgetRefusal | RateLimitRefusal | UnavailableRefusal;

/** Any refusal. */
export type Refusal = Exclude<Admission, AdmissionGranted>;

/** What a request really cost once the provider answered. */
export interface ActualUsage {
  readonly costMicros: number;
  /** Tokens really used (prompt plus output), to correct tokens per minute. */
  readonly tokens: number;
  /** Epoch ms; defaults to the limiter's clock. */
  readonly now?: number;
}

/** A budget alert threshold crossed for the first time in its period. */
export interface ThresholdCrossing {
  readonly budgetId: string;
  readonly periodKey: string;
  readonly threshold: number;
  readonly spentMicros: number;
  readonly limitMicros: number;
}

/** The outcome of `Limiter.settle`. */
export interface SettleResult {
  /** Thresholds this settlement crossed first; each fires once per budget period across all nodes. */
  readonly crossed: readonly ThresholdCrossing[];
  /** The ticket's budgets after settlement; empty when the shared counters could not be reached. */
  readonly budgets: readonly BudgetStanding[];
}

/** Settled spend and live reservations of one budget period. */
export interface BudgetUsage {
  readonly spentMicros: number;
  readonly reservedMicros: number;
  readonly reservations: number;
}

/**
 * The budget and rate-limit engine. `admit` is one atomic decision over every budget and rate
 * limit that applies: all are charged, or none is. Each admitted ticket must end in exactly one
 * `settle` or `release`; repeated calls with the same ticket do nothing.
 */
export interface Limiter {
  admit(req: AdmissionRequest): Promise<Admission>;
  /** Replaces the reservation with the real cost (recorded even above the reservation or the limit). */
  settle(ticket: Ticket, actual: ActualUsage): Promise<SettleResult>;
  /** Frees the reservation of a request that never reached the provider. */
  release(ticket: Ticket): Promise<void>;
  /** Sets a period's settled spend to the control plane's authoritative figure; reservations stay. */
  reconcile(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void>;
  /**
   * Raises a period's settled spend to at least `spentMicros` and never lowers it: the figure
   * a new budget arrives with may already include spend this limiter counted, so adding it
   * would count that twice. Reservations stay.
   */
  seed(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void>;
  /** Reads a budget period after dropping lapsed reservations. */
  usage(orgId: string, budgetId: string, periodKey: string, now?: number): Promise<BudgetUsage>;
  close(): Promise<void>;
}
