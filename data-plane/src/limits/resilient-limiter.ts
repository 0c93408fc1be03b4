import { MemoryLimiter } from './memory-limiter.js';
import { withDefaults } from './options.js';
import { NO_RATE_LIMIT } from './outcome.js';
import { PendingWrites, type PendingWrite } from './pending-writes.js';
import type { SpendEntry } from './redis-limiter.js';
import type {
  ActualUsage,
  Admission,
  AdmissionRequest,
  BudgetUsage,
  FailMode,
  Limiter,
  SettleResult,
  ThresholdCrossing,
  Ticket,
  UnavailableRefusal,
} from './types.js';

/** The shared backend a `ResilientLimiter` protects (a `RedisLimiter`). */
export interface SharedLimiter extends Limiter {
  /** False while disconnected: the wrapper then skips the round trip. */
  readonly available: boolean;
  addSpend(orgId: string, entries: readonly SpendEntry[]): Promise<void>;
}

/** Options of `ResilientLimiter`. */
export interface ResilientLimiterOptions {
  readonly shared: SharedLimiter;
  /** Enforces what it can on this node while the shared store is away (fail open). */
  readonly local?: MemoryLimiter;
  /** How long a shared call on the request path may take before the fail mode applies. */
  readonly timeoutMs?: number;
  /** How long each replayed write may take once the shared store is back. */
  readonly writeBackTimeoutMs?: number;
  /** After a failure, how long calls go straight to the fail mode before trying again. */
  readonly backoffMs?: number;
  /** For requests that do not name their organization's `failMode`. */
  readonly defaultFailMode?: FailMode;
  /** Told about every failed shared call (for logs and metrics). */
  readonly onError?: (error: unknown) => void;
  /**
   * Told about thresholds crossed by settlements replayed after an outage: the `settle` call
   * that would have reported them has long returned.
   */
  readonly onCrossed?: (crossed: readonly ThresholdCrossing[]) => void;
}

/** Requests one organization had admitted or refused without the shared store. */
interface OrgOverflow {
  readonly admittedRequests: number;
  readonly admittedMicros: number;
  readonly refusedRequests: number;
}

/** What happened while the shared store could not be reached, since start. */
export interface OverflowStats extends OrgOverflow {
  /** Micro-dollars settled on this node because the shared store could not record them. */
  readonly settledLocallyMicros: number;
  /** Of those, the amount not yet written back. */
  readonly pendingMicros: number;
  /** Settlements and releases waiting to be written back. */
  readonly pendingWrites: number;
  readonly byOrg: Readonly<Record<string, OrgOverflow>>;
}

/** A shared call took longer than the wrapper allows. */
export class LimiterTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`The shared limiter did not answer within ${timeoutMs} ms.`);
    this.name = 'LimiterTimeoutError';
  }
}

type Settings = Omit<Required<ResilientLimiterOptions>, 'shared' | 'local'>;

const DEFAULTS = {
  timeoutMs: 75,
  writeBackTimeoutMs: 1_000,
  backoffMs: 500,
  defaultFailMode: 'closed',
  onError: () => {},
  onCrossed: () => {},
} satisfies Settings;

/** Writes replayed concurrently (one pipelined burst on the connection) per step. */
const WRITE_BACK_BATCH = 100;

const NOTHING_SETTLED: SettleResult = Object.freeze({ crossed: [], budgets: [] });

/**
 * Puts a time limit and a fail mode around the shared limiter. When Redis does not answer in
 * time (or is known to be down), an organization that fails closed gets `limiter_unavailable`;
 * one that fails open is admitted by a node-local `MemoryLimiter`, whose counts can only be
 * lower than the shared ones, so it refuses only what the shared store would refuse too.
 * Settlements and releases that cannot be written are kept and replayed once Redis answers,
 * so spend is recorded and reservations and concurrency slots are freed without waiting for
 * their leases.
 */
export class ResilientLimiter implements Limiter {
  private readonly shared: SharedLimiter;
  private readonly local: MemoryLimiter;
  private readonly settings: Settings;
  private readonly localTickets = new WeakSet<Ticket>();
  private readonly pending = new PendingWrites();
  private readonly orgs = new Map<string, { admittedRequests: number; admittedMicros: number; refusedRequests: number }>();
  private settledLocallyMicros = 0;
  private downUntil = 0;
  private flushing: Promise<void> | null = null;

  constructor(options: ResilientLimiterOptions) {
    const { shared, local, ...rest } = options;
    this.shared = shared;
    this.local = local ?? new MemoryLimiter();
    this.settings = withDefaults<Settings, typeof rest>(DEFAULTS, rest);
  }

  async admit(req: AdmissionRequest): Promise<Admission> {
    if (this.sharedUsable()) {
      try {
        const admission = await this.withinTimeout(this.settings.timeoutMs, this.shared.admit(req), (late) => {
          // Nobody holds the ticket of an admission that answered too late: free it now
          // rather than at the end of its lease.
          if (late.ok) this.shared.release(late.ticket).catch(() => {});
        });
        this.succeeded();
        return admission;
      } catch (error) {
        if (error instanceof RangeError) throw error;
        this.failed(error);
      }
    }
    return this.admitWithoutShared(req);
  }

  async settle(ticket: Ticket, actual: ActualUsage): Promise<SettleResult> {
    const local = this.localTickets.has(ticket);
    if (local || !this.sharedUsable()) {
      this.settleLocally(ticket, actual, local, 'missed');
      return NOTHING_SETTLED;
    }
    try {
      const result = await this.withinTimeout(
        this.settings.timeoutMs,
        this.shared.settle(ticket, actual),
        () => this.pending.resolve(ticket.id, true),
        () => this.pending.resolve(ticket.id, false),
      );
      this.succeeded();
      return result;
    } catch (error) {
      if (error instanceof RangeError) throw error;
      this.failed(error);
      this.settleLocally(ticket, actual, false, error instanceof LimiterTimeoutError ? 'unknown' : 'missed');
      return NOTHING_SETTLED;
    }
  }

  async release(ticket: Ticket): Promise<void> {
    // The shared store never saw a locally admitted ticket.
    if (this.localTickets.has(ticket)) return this.local.release(ticket);
    if (!this.sharedUsable()) return this.pending.add({ ticket, actual: null, local: false }, 'missed');
    try {
      await this.withinTimeout(
        this.settings.timeoutMs,
        this.shared.release(ticket),
        () => this.pending.resolve(ticket.id, true),
        () => this.pending.resolve(ticket.id, false),
      );
      this.succeeded();
    } catch (error) {
      this.failed(error);
      this.pending.add({ ticket, actual: null, local: false }, error instanceof LimiterTimeoutError ? 'unknown' : 'missed');
    }
  }

  /** Updates this node's fallback counters, then the shared store (throwing if it is away). */
  async reconcile(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    await this.local.reconcile(orgId, budgetId, periodKey, spentMicros);
    await this.withinTimeout(this.settings.writeBackTimeoutMs, this.shared.reconcile(orgId, budgetId, periodKey, spentMicros));
    this.succeeded();
  }

  /** Seeds this node's fallback counters, then the shared store (throwing if it is away). */
  async seed(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    await this.local.seed(orgId, budgetId, periodKey, spentMicros);
    await this.withinTimeout(this.settings.writeBackTimeoutMs, this.shared.seed(orgId, budgetId, periodKey, spentMicros));
    this.succeeded();
  }

  /** The shared store's figures (throwing if it is away: this node's alone would mislead). */
  async usage(orgId: string, budgetId: string, periodKey: string, now?: number): Promise<BudgetUsage> {
    const usage = await this.withinTimeout(this.settings.writeBackTimeoutMs, this.shared.usage(orgId, budgetId, periodKey, now));
    this.succeeded();
    return usage;
  }

  /** Requests and money admitted or refused without the shared store, and writes still pending. */
  overflowStats(): OverflowStats {
    const byOrg: Record<string, OrgOverflow> = {};
    let admittedRequests = 0;
    let admittedMicros = 0;
    let refusedRequests = 0;
    for (const [orgId, org] of this.orgs) {
      byOrg[orgId] = { ...org };
      admittedRequests += org.admittedRequests;
      admittedMicros += org.admittedMicros;
      refusedRequests += org.refusedRequests;
    }
    return {
      admittedRequests,
      admittedMicros,
      refusedRequests,
      settledLocallyMicros: this.settledLocallyMicros,
      pendingMicros: this.pending.micros,
      pendingWrites: this.pending.size,
      byOrg,
    };
  }

  /**
   * Replays pending settlements and releases on the shared store. Runs by itself after the
   * first successful shared call following an outage; resolves when done or Redis fails again.
   */
  flush(): Promise<void> {
    this.flushing ??= this.writeBack().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.local.close();
    await this.shared.close();
  }

  private admitWithoutShared(req: AdmissionRequest): Admission {
    const org = this.org(req.orgId);
    if ((req.failMode ?? this.settings.defaultFailMode) === 'closed') {
      org.refusedRequests += 1;
      return unavailable(req.orgId);
    }
    const admission = this.local.admitSync(req);
    if (admission.ok) {
      this.localTickets.add(admission.ticket);
      org.admittedRequests += 1;
      org.admittedMicros += req.reserveMicros;
    }
    return admission;
  }

  private settleLocally(ticket: Ticket, actual: ActualUsage, local: boolean, state: 'missed' | 'unknown'): void {
    // Counted on the local limiter too, so fail-open admissions on this node see the spend.
    this.local.settleSync(ticket, actual);
    this.settledLocallyMicros += actual.costMicros;
    this.pending.add({ ticket, actual, local }, state);
  }

  private async writeBack(): Promise<void> {
    for (let batch = this.pending.take(WRITE_BACK_BATCH); batch.length > 0; batch = this.pending.take(WRITE_BACK_BATCH)) {
      const outcomes = await Promise.allSettled(batch.map((write) => this.replay(write)));
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failure !== undefined) return this.failed(failure.reason);
    }
  }

  /** Replays one write; on failure puts it back (as 'unknown' if it may still land) and rethrows. */
  private async replay(write: PendingWrite): Promise<void> {
    const { ticket, actual } = write;
    const work: Promise<unknown> = write.local
      ? // The shared store never held this reservation: only the spend is missing.
        this.shared.addSpend(
          ticket.orgId,
          ticket.budgets.map((b) => ({ budgetId: b.budgetId, periodKey: b.periodKey, periodEndMs: b.periodEndMs, micros: actual!.costMicros })),
        )
      : actual === null
        ? this.shared.release(ticket)
        : this.shared.settle(ticket, actual).then((result) => {
            if (result.crossed.length > 0) this.settings.onCrossed(result.crossed);
          });
    try {
      await this.withinTimeout(
        this.settings.writeBackTimeoutMs,
        work,
        () => this.pending.resolve(ticket.id, true),
        () => this.pending.resolve(ticket.id, false),
      );
    } catch (error) {
      this.pending.add(write, error instanceof LimiterTimeoutError ? 'unknown' : 'missed');
      throw error;
    }
  }

  private sharedUsable(): boolean {
    return this.shared.available && performance.now() >= this.downUntil;
  }

  private succeeded(): void {
    this.downUntil = 0;
    if (this.flushing === null && this.pending.hasMissed) void this.flush();
  }

  private failed(error: unknown): void {
    this.downUntil = performance.now() + this.settings.backoffMs;
    this.settings.onError(error);
  }

  /**
   * Races `work` against a timeout. The work cannot be cancelled, so its late outcome goes to
   * `onLate`/`onLateFailure` for cleanup.
   */
  private withinTimeout<T>(timeoutMs: number, work: Promise<T>, onLate?: (value: T) => void, onLateFailure?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new LimiterTimeoutError(timeoutMs));
      }, timeoutMs);
      work.then(
        (value) => {
          if (timedOut) return onLate?.(value);
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (timedOut) return onLateFailure?.();
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private org(orgId: string) {
    let org = this.orgs.get(orgId);
    if (org === undefined) {
      org = { admittedRequests: 0, admittedMicros: 0, refusedRequests: 0 };
      this.orgs.set(orgId, org);
    }
    return org;
  }
}

function unavailable(orgId: string): UnavailableRefusal {
  return {
    ok: false,
    reason: 'limiter_unavailable',
    message: `Usage limits cannot be checked right now and organization ${orgId} refuses requests until they can.`,
    retryAfterSeconds: 1,
    rateLimit: NO_RATE_LIMIT,
  };
}
