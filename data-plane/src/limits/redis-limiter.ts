import { randomUUID } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import { admissionOutcome, type BudgetObservation, type RateObservation, type Verdict } from './outcome.js';
import { withDefaults } from './options.js';
import { periodKeyEndBound } from '@keyward/shared';
import { planAdmission, requireAmount, ticketFor, type AdmissionPlan } from './plan.js';
import { connectRedis, parseRedisUrl, type RedisClient } from './redis-client.js';
import { ADD_SPEND_LUA, ADMIT_LUA, RECONCILE_LUA, SEED_LUA, SETTLE_LUA, USAGE_LUA } from './redis-scripts.js';
import { windowCorrection } from './rate-window.js';
import type { ActualUsage, Admission, AdmissionRequest, BudgetStanding, BudgetUsage, Limiter, SettleResult, ThresholdCrossing, Ticket } from './types.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Options of `RedisLimiter`. */
export interface RedisLimiterOptions {
  /** A Redis URL (the limiter then owns and closes its client) or a client to share. */
  readonly redis: string | RedisClient;
  /** Prefix of every key this limiter writes. */
  readonly keyPrefix?: string;
  /** How long a reservation lives without a settlement: the longest a request may take. */
  readonly leaseMs?: number;
  /** How long a period's counters are kept after it ends, for late settlements. */
  readonly retentionMs?: number;
  /** Sliding expiry of lifetime budgets, refreshed on every write (the control plane reconciles). */
  readonly lifetimeTtlMs?: number;
  /** Epoch ms for `settle`/`release`/`usage` (admission uses the request's `now`). */
  readonly clock?: () => number;
}

/** A settled amount the shared store missed, to be added once it is back. */
export interface SpendEntry {
  readonly budgetId: string;
  readonly periodKey: string;
  readonly periodEndMs: number;
  readonly micros: number;
}

const DEFAULTS = {
  keyPrefix: 'kw:limits:',
  leaseMs: 600_000,
  retentionMs: 2 * 86_400_000,
  lifetimeTtlMs: 400 * 86_400_000,
  clock: fleetNow,
} satisfies Omit<Required<RedisLimiterOptions>, 'redis'>;

const COMMANDS = {
  admit: { name: 'keywardLimitsAdmit', lua: ADMIT_LUA },
  settle: { name: 'keywardLimitsSettle', lua: SETTLE_LUA },
  usage: { name: 'keywardLimitsUsage', lua: USAGE_LUA },
  reconcile: { name: 'keywardLimitsReconcile', lua: RECONCILE_LUA },
  seed: { name: 'keywardLimitsSeed', lua: SEED_LUA },
  addSpend: { name: 'keywardLimitsAddSpend', lua: ADD_SPEND_LUA },
} as const;

type Script = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

const DIMENSIONS = ['requests', 'tokens', 'concurrency'] as const;
const NOTHING_SETTLED: SettleResult = Object.freeze({ crossed: [], budgets: [] });

/**
 * An ioredis client for `REDIS_URL` (one server, Sentinel or Cluster) tuned for the limiter:
 * commands fail at once while disconnected instead of queueing (the resilient wrapper then
 * applies the organization's fail mode), reconnects back off up to two seconds, and a hung
 * server times out after a second.
 */
export function createLimiterRedis(url: string, options: RedisOptions = {}): RedisClient {
  const redis = connectRedis(parseRedisUrl(url), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...options,
  });
  // Without a listener ioredis prints every failed reconnect; callers learn of outages from
  // rejected commands, which is where the fail mode is applied.
  redis.on('error', () => {});
  return redis;
}

/**
 * Budgets and rate limits shared by every data-plane node through Redis: one server, a Sentinel
 * setup or Redis Cluster (the keys of one admission share their organization's slot). Each operation is one Lua script run by EVALSHA, so an admission
 * costs one round trip. Every key carries a TTL: budget periods live until their period ends
 * plus a retention, rate counters until they drain, lifetime budgets for a sliding year.
 */
export class RedisLimiter implements Limiter {
  /** The client; exposed so a wrapper can watch its connection. */
  readonly redis: RedisClient;
  private readonly options: Omit<Required<RedisLimiterOptions>, 'redis'>;
  private readonly ownsClient: boolean;
  private readonly scripts: Record<keyof typeof COMMANDS, Script>;
  private readonly finished = new WeakSet<Ticket>();

  constructor(options: RedisLimiterOptions) {
    const { redis, ...rest } = options;
    this.options = withDefaults<Omit<Required<RedisLimiterOptions>, 'redis'>, typeof rest>(DEFAULTS, rest);
    this.ownsClient = typeof redis === 'string';
    this.redis = typeof redis === 'string' ? createLimiterRedis(redis) : redis;
    const commands = this.redis as unknown as Record<string, Script>;
    const scripts: Partial<Record<keyof typeof COMMANDS, Script>> = {};
    for (const [key, { name, lua }] of Object.entries(COMMANDS)) {
      this.redis.defineCommand(name, { lua });
      scripts[key as keyof typeof COMMANDS] = commands[name].bind(this.redis);
    }
    this.scripts = scripts as Record<keyof typeof COMMANDS, Script>;
  }

  /** Whether the client is connected; commands fail immediately when it is not. */
  get available(): boolean {
    return this.redis.status === 'ready';
  }

  async admit(req: AdmissionRequest): Promise<Admission> {
    const plan = planAdmission(req);
    const id = randomUUID();
    const ticket = ticketFor(plan, id, this.options.leaseMs);
    if (plan.budgets.length === 0 && plan.rateLimits.length === 0) {
      return admissionOutcome(plan, [], [], { kind: 'admit' }, ticket);
    }
    const keys: string[] = [];
    const args: (string | number)[] = [req.now, id, ticket.expiresAt, req.reserveMicros, plan.budgets.length, plan.rateLimits.length, this.options.leaseMs];
    for (const b of plan.budgets) {
      keys.push(this.budgetKey(req.orgId, b.config.id, b.window.key), this.leasesKey(req.orgId, b.config.id, b.window.key));
      args.push(b.config.limitMicros, b.enforce ? 1 : 0, this.budgetTtl(b.window.endMs, req.now));
    }
    for (const l of plan.rateLimits) {
      keys.push(
        this.rateKey(req.orgId, l.config.id, 'requests'),
        this.rateKey(req.orgId, l.config.id, 'tokens'),
        this.rateKey(req.orgId, l.config.id, 'inflight'),
      );
      args.push(l.requestCostUs ?? -1, l.tokenCostUs ?? -1, l.concurrency ?? 0);
    }
    const reply = (await this.scripts.admit(keys.length, ...keys, ...args)) as number[];
    return this.readAdmission(plan, reply, ticket);
  }

  async settle(ticket: Ticket, actual: ActualUsage): Promise<SettleResult> {
    requireAmount(actual.costMicros, 'costMicros');
    requireAmount(actual.tokens, 'tokens');
    if (this.finished.has(ticket)) return NOTHING_SETTLED;
    return this.finish(ticket, actual.costMicros, actual.tokens - ticket.reservedTokens, actual.now ?? this.options.clock(), true);
  }

  async release(ticket: Ticket): Promise<void> {
    if (this.finished.has(ticket)) return;
    await this.finish(ticket, 0, -ticket.reservedTokens, this.options.clock(), false);
  }

  async reconcile(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    requireAmount(spentMicros, 'spentMicros');
    const ttl = this.budgetTtl(periodKeyEndBound(periodKey), this.options.clock());
    await this.scripts.reconcile(1, this.budgetKey(orgId, budgetId, periodKey), spentMicros, ttl);
  }

  async seed(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    requireAmount(spentMicros, 'spentMicros');
    const ttl = this.budgetTtl(periodKeyEndBound(periodKey), this.options.clock());
    await this.scripts.seed(1, this.budgetKey(orgId, budgetId, periodKey), spentMicros, ttl);
  }

  async usage(orgId: string, budgetId: string, periodKey: string, now = this.options.clock()): Promise<BudgetUsage> {
    const [spentMicros, reservedMicros, reservations] = (await this.scripts.usage(
      2,
      this.budgetKey(orgId, budgetId, periodKey),
      this.leasesKey(orgId, budgetId, periodKey),
      now,
    )) as number[];
    return { spentMicros, reservedMicros, reservations };
  }

  /** Adds one organization's settled spend that could not be written when it happened (see `ResilientLimiter`). */
  async addSpend(orgId: string, entries: readonly SpendEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = this.options.clock();
    const keys = entries.map((e) => this.budgetKey(orgId, e.budgetId, e.periodKey));
    const args = entries.flatMap((e) => [e.micros, this.budgetTtl(e.periodEndMs, now)]);
    await this.scripts.addSpend(keys.length, ...keys, ...args);
  }

  async close(): Promise<void> {
    if (!this.ownsClient || this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async finish(ticket: Ticket, costMicros: number, deltaTokens: number, now: number, settling: boolean): Promise<SettleResult> {
    const touchedLimits = ticket.rateLimits.filter((l) => (l.tokensPerMinute !== null && deltaTokens !== 0) || l.holdsConcurrencySlot);
    if (ticket.budgets.length === 0 && touchedLimits.length === 0) {
      this.finished.add(ticket);
      return NOTHING_SETTLED;
    }
    const keys: string[] = [];
    const args: (string | number)[] = [now, ticket.id, ticket.reservedMicros, costMicros, ticket.budgets.length, touchedLimits.length];
    for (const b of ticket.budgets) {
      keys.push(this.budgetKey(ticket.orgId, b.budgetId, b.periodKey), this.leasesKey(ticket.orgId, b.budgetId, b.periodKey));
      const thresholds = settling ? b.thresholds : [];
      args.push(this.budgetTtl(b.periodEndMs, now), thresholds.length);
      for (const t of thresholds) args.push(`a:${t.percent}`, t.micros);
    }
    for (const l of touchedLimits) {
      keys.push(this.rateKey(ticket.orgId, l.rateLimitId, 'tokens'), this.rateKey(ticket.orgId, l.rateLimitId, 'inflight'));
      args.push(l.tokensPerMinute === null ? 'none' : windowCorrection(deltaTokens, l.tokensPerMinute), l.holdsConcurrencySlot ? 1 : 0);
    }
    // Marked before the round trip so a concurrent duplicate call does nothing; unmarked on
    // failure so the caller (or the resilient wrapper) may still account for it.
    this.finished.add(ticket);
    let reply: number[];
    try {
      reply = (await this.scripts.settle(keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      this.finished.delete(ticket);
      throw error;
    }
    const crossed: ThresholdCrossing[] = [];
    const budgets: BudgetStanding[] = [];
    let r = 0;
    for (const b of ticket.budgets) {
      const spentMicros = reply[r];
      const reservedMicros = reply[r + 1];
      const count = reply[r + 2];
      for (let c = 0; c < count; c++) {
        const threshold = b.thresholds[reply[r + 3 + c] - 1];
        crossed.push({ budgetId: b.budgetId, periodKey: b.periodKey, threshold: threshold.percent, spentMicros, limitMicros: b.limitMicros });
      }
      budgets.push({ budgetId: b.budgetId, periodKey: b.periodKey, limitMicros: b.limitMicros, spentMicros, reservedMicros });
      r += 3 + count;
    }
    return { crossed, budgets };
  }

  private readAdmission(plan: AdmissionPlan, reply: number[], ticket: Ticket): Admission {
    const [kind, index, dimension] = reply;
    const budgets: BudgetObservation[] = plan.budgets.map((_, i) => ({
      spentMicros: reply[3 + 2 * i],
      reservedMicros: reply[4 + 2 * i],
    }));
    const base = 3 + 2 * plan.budgets.length;
    const limits: RateObservation[] = plan.rateLimits.map((_, j) => ({
      requestsUsedUs: reply[base + 3 * j],
      tokensUsedUs: reply[base + 3 * j + 1],
      inFlight: reply[base + 3 * j + 2],
    }));
    const verdict: Verdict =
      kind === 0
        ? { kind: 'admit' }
        : kind === 1
          ? { kind: 'budget', index: index - 1 }
          : { kind: 'rate', index: index - 1, dimension: DIMENSIONS[dimension - 1] };
    return admissionOutcome(plan, budgets, limits, verdict, kind === 0 ? ticket : null);
  }

  private budgetTtl(periodEndMs: number, now: number): number {
    if (!Number.isFinite(periodEndMs)) return this.options.lifetimeTtlMs;
    return Math.max(0, periodEndMs - now) + this.options.retentionMs;
  }

  // Every key carries its organization as a hash tag: one admission touches only keys of one
  // organization, so on Redis Cluster they share a slot and one script may run over all of them.

  private budgetKey(orgId: string, budgetId: string, periodKey: string): string {
    return `${this.options.keyPrefix}{${orgId}}:budget:${budgetId}:${periodKey}`;
  }

  private leasesKey(orgId: string, budgetId: string, periodKey: string): string {
    return `${this.options.keyPrefix}{${orgId}}:budget:${budgetId}:${periodKey}:leases`;
  }

  private rateKey(orgId: string, rateLimitId: string, what: 'requests' | 'tokens' | 'inflight'): string {
    return `${this.options.keyPrefix}{${orgId}}:rate:${rateLimitId}:${what}`;
  }
}
