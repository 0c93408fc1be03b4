import { randomUUID } from 'node:crypto';
import { admissionOutcome, decide, type BudgetObservation, type RateObservation } from './outcome.js';
import { periodKeyEndBound } from '@keyward/shared';
import { withDefaults } from './options.js';
import { planAdmission, requireAmount, ticketFor } from './plan.js';
import { windowCorrection } from './rate-window.js';
import type { ActualUsage, Admission, AdmissionRequest, BudgetStanding, BudgetUsage, Limiter, SettleResult, ThresholdCrossing, Ticket } from './types.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Options of `MemoryLimiter`; every field has a default. */
export interface MemoryLimiterOptions {
  /** How long a reservation lives without a settlement: the longest a request may take. */
  readonly leaseMs?: number;
  /** How often lapsed leases and idle counters are dropped; 0 disables the timer. */
  readonly sweepIntervalMs?: number;
  /** How long a period's counters are kept after it ends, for late settlements. */
  readonly retentionMs?: number;
  /** Epoch ms for `settle`/`release`/sweeps (admission uses the request's `now`). */
  readonly clock?: () => number;
}

const DEFAULTS = {
  leaseMs: 600_000,
  sweepIntervalMs: 5_000,
  retentionMs: 2 * 86_400_000,
  clock: fleetNow,
} satisfies Required<MemoryLimiterOptions>;

interface BudgetState {
  spent: number;
  reserved: number;
  reservations: number;
  readonly alerted: Set<number>;
  readonly retainUntil: number;
}

interface RateState {
  /** GCRA theoretical arrival times in epoch microseconds (0: idle). */
  requestsTat: number;
  tokensTat: number;
  readonly inFlight: Set<string>;
}

const NOTHING_SETTLED: SettleResult = Object.freeze({ crossed: [], budgets: [] });

/**
 * Budgets and rate limits for a single node, in process memory. Every operation is synchronous
 * (`admitSync` and friends), so an admission is atomic without locks; the async methods wrap
 * them to fit `Limiter` (turning a thrown RangeError into a rejection).
 */
export class MemoryLimiter implements Limiter {
  private readonly options: Required<MemoryLimiterOptions>;
  private readonly budgets = new Map<string, BudgetState>();
  private readonly rates = new Map<string, RateState>();
  /**
   * Tickets holding reservations, in admission order. Every lease has the same length, so
   * admission order is expiry order and lapsing stops at the first live lease.
   */
  private readonly live = new Map<string, Ticket>();
  private readonly finished = new WeakSet<Ticket>();
  private readonly timer: NodeJS.Timeout | null;

  constructor(options: MemoryLimiterOptions = {}) {
    this.options = withDefaults<Required<MemoryLimiterOptions>, MemoryLimiterOptions>(DEFAULTS, options);
    const interval = this.options.sweepIntervalMs;
    this.timer = interval > 0 ? setInterval(() => this.sweep(this.options.clock()), interval).unref() : null;
  }

  async admit(req: AdmissionRequest): Promise<Admission> {
    return this.admitSync(req);
  }

  async settle(ticket: Ticket, actual: ActualUsage): Promise<SettleResult> {
    return this.settleSync(ticket, actual);
  }

  async release(ticket: Ticket): Promise<void> {
    this.releaseSync(ticket);
  }

  async reconcile(_orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    this.reconcileSync(budgetId, periodKey, spentMicros);
  }

  async seed(_orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    this.seedSync(budgetId, periodKey, spentMicros);
  }

  async usage(_orgId: string, budgetId: string, periodKey: string, now = this.options.clock()): Promise<BudgetUsage> {
    this.lapse(now);
    const state = this.budgets.get(budgetKey(budgetId, periodKey));
    return {
      spentMicros: state?.spent ?? 0,
      reservedMicros: state?.reserved ?? 0,
      reservations: state?.reservations ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
  }

  /** `admit` without the promise: checks and charges every applicable budget and limit at once. */
  admitSync(req: AdmissionRequest): Admission {
    const plan = planAdmission(req);
    this.lapse(req.now);
    const nowUs = req.now * 1000;
    const budgetStates = plan.budgets.map((b) => this.budgetState(b.config.id, b.window.key, b.window.endMs + this.options.retentionMs));
    const rateStates = plan.rateLimits.map((l) => this.rateState(l.config.id));
    const budgets: BudgetObservation[] = budgetStates.map((s) => ({ spentMicros: s.spent, reservedMicros: s.reserved }));
    const limits: RateObservation[] = rateStates.map((s) => ({
      requestsUsedUs: Math.max(0, s.requestsTat - nowUs),
      tokensUsedUs: Math.max(0, s.tokensTat - nowUs),
      inFlight: s.inFlight.size,
    }));
    const verdict = decide(plan, budgets, limits);
    if (verdict.kind !== 'admit') return admissionOutcome(plan, budgets, limits, verdict, null);

    const ticket = ticketFor(plan, randomUUID(), this.options.leaseMs);
    for (const state of budgetStates) {
      state.reserved += req.reserveMicros;
      state.reservations += 1;
    }
    plan.rateLimits.forEach((limit, j) => {
      const state = rateStates[j];
      if (limit.requestCostUs !== null) state.requestsTat = Math.max(state.requestsTat, nowUs) + limit.requestCostUs;
      if (limit.tokenCostUs !== null) state.tokensTat = Math.max(state.tokensTat, nowUs) + limit.tokenCostUs;
      if (limit.concurrency !== null) state.inFlight.add(ticket.id);
    });
    if (ticket.budgets.length > 0 || ticket.rateLimits.some((l) => l.holdsConcurrencySlot)) this.live.set(ticket.id, ticket);
    return admissionOutcome(plan, budgets, limits, verdict, ticket);
  }

  /** `settle` without the promise. */
  settleSync(ticket: Ticket, actual: ActualUsage): SettleResult {
    requireAmount(actual.costMicros, 'costMicros');
    requireAmount(actual.tokens, 'tokens');
    if (this.finished.has(ticket)) return NOTHING_SETTLED;
    this.finished.add(ticket);
    const now = actual.now ?? this.options.clock();
    this.lapse(now);
    this.freeLease(ticket);
    this.correctTokens(ticket, actual.tokens - ticket.reservedTokens, now);
    const crossed: ThresholdCrossing[] = [];
    const budgets: BudgetStanding[] = [];
    for (const b of ticket.budgets) {
      const state = this.budgetState(b.budgetId, b.periodKey, b.periodEndMs + this.options.retentionMs);
      state.spent += actual.costMicros;
      for (const threshold of b.thresholds) {
        if (state.spent >= threshold.micros && !state.alerted.has(threshold.percent)) {
          state.alerted.add(threshold.percent);
          crossed.push({
            budgetId: b.budgetId,
            periodKey: b.periodKey,
            threshold: threshold.percent,
            spentMicros: state.spent,
            limitMicros: b.limitMicros,
          });
        }
      }
      budgets.push({
        budgetId: b.budgetId,
        periodKey: b.periodKey,
        limitMicros: b.limitMicros,
        spentMicros: state.spent,
        reservedMicros: state.reserved,
      });
    }
    return { crossed, budgets };
  }

  /** `release` without the promise: the request never reached the provider, so its tokens return too. */
  releaseSync(ticket: Ticket): void {
    if (this.finished.has(ticket)) return;
    this.finished.add(ticket);
    const now = this.options.clock();
    this.lapse(now);
    this.freeLease(ticket);
    this.correctTokens(ticket, -ticket.reservedTokens, now);
  }

  /** `reconcile` without the promise. */
  reconcileSync(budgetId: string, periodKey: string, spentMicros: number): void {
    requireAmount(spentMicros, 'spentMicros');
    this.budgetState(budgetId, periodKey, periodKeyEndBound(periodKey) + this.options.retentionMs).spent = spentMicros;
  }

  /** `seed` without the promise. */
  seedSync(budgetId: string, periodKey: string, spentMicros: number): void {
    requireAmount(spentMicros, 'spentMicros');
    const state = this.budgetState(budgetId, periodKey, periodKeyEndBound(periodKey) + this.options.retentionMs);
    state.spent = Math.max(state.spent, spentMicros);
  }

  /** Drops lapsed leases, finished periods and idle rate counters; the timer calls it. */
  sweep(now: number): void {
    this.lapse(now);
    for (const [key, state] of this.budgets) {
      if (state.retainUntil < now && state.reservations === 0) this.budgets.delete(key);
    }
    const nowUs = now * 1000;
    for (const [key, state] of this.rates) {
      if (state.requestsTat <= nowUs && state.tokensTat <= nowUs && state.inFlight.size === 0) this.rates.delete(key);
    }
  }

  private lapse(now: number): void {
    for (const ticket of this.live.values()) {
      if (ticket.expiresAt > now) return;
      this.freeLease(ticket);
    }
  }

  private freeLease(ticket: Ticket): void {
    if (!this.live.delete(ticket.id)) return;
    for (const b of ticket.budgets) {
      const state = this.budgets.get(budgetKey(b.budgetId, b.periodKey));
      if (state === undefined) continue;
      state.reserved -= ticket.reservedMicros;
      state.reservations -= 1;
    }
    for (const limit of ticket.rateLimits) {
      if (limit.holdsConcurrencySlot) this.rates.get(limit.rateLimitId)?.inFlight.delete(ticket.id);
    }
  }

  private correctTokens(ticket: Ticket, deltaTokens: number, now: number): void {
    if (deltaTokens === 0) return;
    const nowUs = now * 1000;
    for (const limit of ticket.rateLimits) {
      if (limit.tokensPerMinute === null) continue;
      const state = this.rateState(limit.rateLimitId);
      const tat = Math.max(state.tokensTat, nowUs) + windowCorrection(deltaTokens, limit.tokensPerMinute);
      state.tokensTat = tat > nowUs ? tat : 0;
    }
  }

  private budgetState(budgetId: string, periodKey: string, retainUntil: number): BudgetState {
    const key = budgetKey(budgetId, periodKey);
    let state = this.budgets.get(key);
    if (state === undefined) {
      state = { spent: 0, reserved: 0, reservations: 0, alerted: new Set(), retainUntil };
      this.budgets.set(key, state);
    }
    return state;
  }

  private rateState(rateLimitId: string): RateState {
    let state = this.rates.get(rateLimitId);
    if (state === undefined) {
      state = { requestsTat: 0, tokensTat: 0, inFlight: new Set() };
      this.rates.set(rateLimitId, state);
    }
    return state;
  }
}

function budgetKey(budgetId: string, periodKey: string): string {
  return `${budgetId}\u0000${periodKey}`;
}
