import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rateLimitHeaders } from './headers.js';
import { MemoryLimiter } from './memory-limiter.js';
import { createLimiterRedis, RedisLimiter } from './redis-limiter.js';
import { budget, KEY, ORG, rateLimit, request, T0, TEAM } from './testing/fixtures.js';
import { startRedisCluster, startRedisSentinel, startRedisServer } from './testing/redis-server.js';
import type { Admission, Limiter, Ticket } from './types.js';
import { PortLimiter, SharedLimiterHost } from '../workers/limiter-channel.js';

/** The behaviour every backend must share; each runs the same sentences. */
interface Backend {
  create(options: { leaseMs?: number; clock: () => number }): Limiter;
  teardown(): Promise<void>;
}

const backends: { name: string; setup: () => Promise<Backend> }[] = [
  {
    name: 'MemoryLimiter',
    setup: async () => ({
      create: (options) => new MemoryLimiter({ ...options, sweepIntervalMs: 0 }),
      teardown: async () => {},
    }),
  },
  {
    // What a worker thread uses: the counters live with the host, calls cross a message port.
    name: 'PortLimiter to a SharedLimiterHost',
    setup: async () => {
      const channels: MessageChannel[] = [];
      return {
        create: (options) => {
          const host = new SharedLimiterHost(new MemoryLimiter({ ...options, sweepIntervalMs: 0 }));
          const channel = new MessageChannel();
          channels.push(channel);
          host.serve(channel.port1);
          return new PortLimiter(channel.port2);
        },
        teardown: async () => {
          for (const channel of channels) channel.port1.close();
        },
      };
    },
  },
  redisBackend('RedisLimiter', startRedisServer),
  redisBackend('RedisLimiter on Redis Cluster', startRedisCluster),
  redisBackend('RedisLimiter behind Sentinel', startRedisSentinel),
];

/** A `RedisLimiter` on servers `start` launches, through the URL a node would be given. */
function redisBackend(name: string, start: () => Promise<{ url: string; stop(): Promise<void> }>) {
  return {
    name,
    setup: async (): Promise<Backend> => {
      const servers = await start();
      const redis = createLimiterRedis(servers.url);
      await once(redis, 'ready');
      let run = 0;
      return {
        // A fresh key prefix per limiter keeps tests apart on one server.
        create: (options) => new RedisLimiter({ redis, keyPrefix: `contract${++run}:`, ...options }),
        teardown: async () => {
          redis.disconnect();
          await servers.stop();
        },
      };
    },
  };
}

function ticketOf(admission: Admission): Ticket {
  if (!admission.ok) throw new Error(`Expected an admission, got ${admission.reason}: ${admission.message}`);
  return admission.ticket;
}

describe.each(backends)('$name', ({ setup }) => {
  let backend: Backend;
  let limiter: Limiter;
  let clock: number;
  const make = (options: { leaseMs?: number } = {}) => {
    limiter = backend.create({ clock: () => clock, ...options });
    return limiter;
  };

  beforeAll(async () => {
    backend = await setup();
  });
  afterAll(async () => {
    await backend.teardown();
  });
  beforeEach(() => {
    clock = T0;
    make();
  });
  afterEach(async () => {
    await limiter.close();
  });

  describe('budget reservations', () => {
    const orgBudget = budget('b_org', { limitMicros: 10_000_000 });
    const teamBudget = budget('b_team', { scope: { kind: 'team', id: TEAM }, limitMicros: 5_000_000 });
    const keyBudget = budget('b_key', { scope: { kind: 'key', id: KEY }, limitMicros: 1_000_000 });
    const all = [orgBudget, teamBudget, keyBudget];

    it('reserves the maximum cost on the org, team and key budgets together', async () => {
      const admission = await limiter.admit(request({ budgets: all, reserveMicros: 400_000 }));
      expect(admission.ok).toBe(true);
      for (const b of all) {
        expect(await limiter.usage(ORG, b.id, '2025-03')).toEqual({ spentMicros: 0, reservedMicros: 400_000, reservations: 1 });
      }
      expect(admission.ok && admission.budgets.map((b) => [b.budgetId, b.reservedMicros])).toEqual([
        ['b_org', 400_000],
        ['b_team', 400_000],
        ['b_key', 400_000],
      ]);
    });

    it('refuses all or nothing, naming the budget that would be exceeded', async () => {
      ticketOf(await limiter.admit(request({ budgets: all, reserveMicros: 700_000 })));
      const refused = await limiter.admit(request({ budgets: all, reserveMicros: 400_000 }));
      expect(refused).toMatchObject({
        ok: false,
        reason: 'budget_exceeded',
        budgetId: 'b_key',
        action: 'block',
        periodKey: '2025-03',
        limitMicros: 1_000_000,
        reservedMicros: 700_000,
        requestedMicros: 400_000,
        retryAfterSeconds: Math.ceil((Date.UTC(2025, 3, 1) - T0) / 1000),
      });
      expect((await limiter.usage(ORG, 'b_org', '2025-03')).reservedMicros).toBe(700_000);
    });

    it('ignores budgets of other keys, teams and organizations', async () => {
      const others = [
        budget('b_other_key', { scope: { kind: 'key', id: 'key_other' }, limitMicros: 0 }),
        budget('b_other_team', { scope: { kind: 'team', id: 'team_other' }, limitMicros: 0 }),
        budget('b_other_org', { orgId: 'org_other', scope: { kind: 'org', id: 'org_other' }, limitMicros: 0 }),
      ];
      expect((await limiter.admit(request({ budgets: others, reserveMicros: 1 }))).ok).toBe(true);
    });

    it('counts a key pool budget over every key of the pool together, and not for keys outside it', async () => {
      const pool = budget('b_pool', { scope: { kind: 'pool', id: 'pool_1' }, limitMicros: 1_000 });
      const first = await limiter.admit(request({ keyId: 'key_a', poolId: 'pool_1', budgets: [pool], reserveMicros: 600 }));
      expect(first.ok).toBe(true);
      const second = await limiter.admit(request({ keyId: 'key_b', poolId: 'pool_1', budgets: [pool], reserveMicros: 600 }));
      expect(second).toMatchObject({ ok: false, reason: 'budget_exceeded', budgetId: 'b_pool' });
      expect((await limiter.admit(request({ keyId: 'key_c', poolId: null, budgets: [pool], reserveMicros: 600 }))).ok).toBe(true);
    });

    it('charges but never refuses on a budget the request is exempt from', async () => {
      const held = budget('b_held', { limitMicros: 100, action: 'hold' });
      const first = await limiter.admit(request({ budgets: [held], reserveMicros: 500 }));
      expect(first).toMatchObject({ ok: false, reason: 'budget_exceeded', action: 'hold' });
      const approved = await limiter.admit(request({ budgets: [held], reserveMicros: 500, exemptBudgetIds: ['b_held'] }));
      await limiter.settle(ticketOf(approved), { costMicros: 450, tokens: 0 });
      expect(await limiter.usage(ORG, 'b_held', '2025-03')).toEqual({ spentMicros: 450, reservedMicros: 0, reservations: 0 });
    });

    it('settles to the real cost, whether lower or higher than the reservation', async () => {
      const lower = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 100_000 })));
      const higher = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 100_000 })));
      const settled = await limiter.settle(lower, { costMicros: 40_000, tokens: 0 });
      expect(settled.budgets).toEqual([{ budgetId: 'b_key', periodKey: '2025-03', limitMicros: 1_000_000, spentMicros: 40_000, reservedMicros: 100_000 }]);
      await limiter.settle(higher, { costMicros: 150_000, tokens: 0 });
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 190_000, reservedMicros: 0, reservations: 0 });
    });

    it('releases a request that never reached the provider without charging it', async () => {
      const ticket = ticketOf(await limiter.admit(request({ budgets: all, reserveMicros: 300_000 })));
      await limiter.release(ticket);
      for (const b of all) {
        expect(await limiter.usage(ORG, b.id, '2025-03')).toEqual({ spentMicros: 0, reservedMicros: 0, reservations: 0 });
      }
    });

    it('counts a ticket settled twice only once', async () => {
      const ticket = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 300_000 })));
      await limiter.settle(ticket, { costMicros: 200_000, tokens: 0 });
      expect(await limiter.settle(ticket, { costMicros: 200_000, tokens: 0 })).toEqual({ crossed: [], budgets: [] });
      await limiter.release(ticket);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 200_000, reservedMicros: 0, reservations: 0 });
    });

    it('lets a leaked reservation lapse when its lease ends, and still records a late settlement', async () => {
      make({ leaseMs: 60_000 });
      const leaked = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 900_000 })));
      expect(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 200_000, now: T0 + 59_999 }))).toMatchObject({
        reason: 'budget_exceeded',
      });
      expect(await limiter.usage(ORG, 'b_key', '2025-03', T0 + 60_000)).toEqual({ spentMicros: 0, reservedMicros: 0, reservations: 0 });
      const next = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 200_000, now: T0 + 60_000 })));
      clock = T0 + 61_000;
      await limiter.settle(leaked, { costMicros: 500_000, tokens: 0 });
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 500_000, reservedMicros: 200_000, reservations: 1 });
      await limiter.release(next);
    });

    it('reconciles settled spend to the control plane figure without dropping reservations', async () => {
      ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 250_000 })));
      await limiter.reconcile(ORG, 'b_key', '2025-03', 600_000);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 600_000, reservedMicros: 250_000, reservations: 1 });
      expect(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 200_000 }))).toMatchObject({ reason: 'budget_exceeded' });
    });

    it('seeds a new budget with spend already made, never lowering a counter nor counting a figure twice', async () => {
      await limiter.seed(ORG, 'b_key', '2025-03', 900_000);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 900_000, reservedMicros: 0, reservations: 0 });
      expect(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 200_000 }))).toMatchObject({ reason: 'budget_exceeded', spentMicros: 900_000 });
      const ticket = ticketOf(await limiter.admit(request({ budgets: [keyBudget], reserveMicros: 50_000 })));
      await limiter.settle(ticket, { costMicros: 40_000, tokens: 0 });
      // The same figure again (a later snapshot), or an older lower one, changes nothing.
      await limiter.seed(ORG, 'b_key', '2025-03', 900_000);
      await limiter.seed(ORG, 'b_key', '2025-03', 100_000);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 940_000, reservedMicros: 0, reservations: 0 });
      // The re-sync still sets the authoritative figure.
      await limiter.reconcile(ORG, 'b_key', '2025-03', 930_000);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toMatchObject({ spentMicros: 930_000 });
    });

    it('admits only what fits among 50 concurrent requests and returns the reservation to exactly zero', async () => {
      const admissions = await Promise.all(Array.from({ length: 50 }, () => limiter.admit(request({ budgets: [keyBudget], reserveMicros: 30_000 }))));
      const tickets = admissions.filter((a) => a.ok).map(ticketOf);
      expect(tickets).toHaveLength(33);
      expect(admissions.filter((a) => !a.ok).every((a) => !a.ok && a.reason === 'budget_exceeded')).toBe(true);
      const costs = tickets.map((_, i) => 10_000 + ((i * 7919) % 20_001));
      await Promise.all(tickets.map((t, i) => limiter.settle(t, { costMicros: costs[i], tokens: 0 })));
      const spent = costs.reduce((sum, c) => sum + c, 0);
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: spent, reservedMicros: 0, reservations: 0 });
    });
  });

  describe('budget periods', () => {
    it('starts a daily budget at midnight in the organization time zone, not UTC', async () => {
      const daily = budget('b_daily', { period: 'day', limitMicros: 100 });
      const lateEvening = Date.UTC(2025, 2, 12, 3, 30); // 23:30 on 11 March in New York
      const afterMidnight = Date.UTC(2025, 2, 12, 4, 30); // 00:30 on 12 March in New York (EDT)
      for (const timeZone of ['America/New_York', 'UTC']) {
        const first = ticketOf(await limiter.admit(request({ budgets: [{ ...daily, id: timeZone }], reserveMicros: 100, now: lateEvening, timeZone })));
        await limiter.settle(first, { costMicros: 100, tokens: 0, now: lateEvening });
      }
      const ny = await limiter.admit(
        request({ budgets: [{ ...daily, id: 'America/New_York' }], reserveMicros: 100, now: afterMidnight, timeZone: 'America/New_York' }),
      );
      const utc = await limiter.admit(request({ budgets: [{ ...daily, id: 'UTC' }], reserveMicros: 100, now: afterMidnight, timeZone: 'UTC' }));
      expect(ny.ok && ny.budgets[0].periodKey).toBe('2025-03-12');
      expect(utc).toMatchObject({ reason: 'budget_exceeded', periodKey: '2025-03-12' });
      expect((await limiter.usage(ORG, 'America/New_York', '2025-03-11')).spentMicros).toBe(100);
    });

    it('settles a request into the period it was admitted in, even after the period ends', async () => {
      const daily = budget('b_daily', { period: 'day' });
      const ticket = ticketOf(await limiter.admit(request({ budgets: [daily], reserveMicros: 50, now: Date.UTC(2025, 2, 12, 23, 59) })));
      await limiter.settle(ticket, { costMicros: 40, tokens: 0, now: Date.UTC(2025, 2, 13, 0, 1) });
      expect(await limiter.usage(ORG, 'b_daily', '2025-03-12')).toMatchObject({ spentMicros: 40, reservedMicros: 0 });
      expect(await limiter.usage(ORG, 'b_daily', '2025-03-13')).toMatchObject({ spentMicros: 0 });
    });
  });

  describe('alert thresholds', () => {
    const alerting = budget('b_alerts', { period: 'day', limitMicros: 1_000, alertThresholds: [50, 80, 100] });
    const spend = async (micros: number, now = T0) => {
      const admission = await limiter.admit(request({ budgets: [alerting], reserveMicros: micros, now, exemptBudgetIds: ['b_alerts'] }));
      const ticket = ticketOf(admission);
      const { crossed } = await limiter.settle(ticket, { costMicros: micros, tokens: 0, now });
      return crossed.map((c) => c.threshold);
    };

    it('reports each threshold the first time settled spend reaches it in a period', async () => {
      expect(await spend(300)).toEqual([]);
      expect(await spend(250)).toEqual([50]);
      expect(await spend(100)).toEqual([]);
      expect(await spend(200)).toEqual([80]);
      expect(await spend(200)).toEqual([100]);
      expect(await spend(10)).toEqual([]);
    });

    it('reports every threshold one settlement jumps over, with the spend and the limit', async () => {
      const ticket = ticketOf(await limiter.admit(request({ budgets: [alerting], reserveMicros: 900 })));
      const { crossed } = await limiter.settle(ticket, { costMicros: 850, tokens: 0 });
      expect(crossed).toEqual([
        { budgetId: 'b_alerts', periodKey: '2025-03-12', threshold: 50, spentMicros: 850, limitMicros: 1_000 },
        { budgetId: 'b_alerts', periodKey: '2025-03-12', threshold: 80, spentMicros: 850, limitMicros: 1_000 },
      ]);
    });

    it('reports thresholds again in the next period', async () => {
      expect(await spend(600)).toEqual([50]);
      expect(await spend(600, T0 + 86_400_000)).toEqual([50]);
    });
  });

  describe('rate limits', () => {
    it('allows a whole minute of requests at once, then refuses with the wait until one fits', async () => {
      const rpm = [rateLimit('rl_rpm', { requestsPerMinute: 3 })];
      const headers = [];
      for (let i = 0; i < 3; i++) headers.push(rateLimitHeaders(await limiter.admit(request({ rateLimits: rpm }))));
      expect(headers.map((h) => [h['x-ratelimit-remaining-requests'], h['x-ratelimit-reset-requests']])).toEqual([
        ['2', '20s'],
        ['1', '40s'],
        ['0', '1m0s'],
      ]);
      const refused = await limiter.admit(request({ rateLimits: rpm, now: T0 + 5_000 }));
      expect(refused).toMatchObject({ ok: false, reason: 'rate_limited', rateLimitId: 'rl_rpm', dimension: 'requests', limit: 3, retryAfterSeconds: 15 });
      expect(rateLimitHeaders(refused)).toEqual({
        'x-ratelimit-limit-requests': '3',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '55s',
        'retry-after': '15',
      });
      expect((await limiter.admit(request({ rateLimits: rpm, now: T0 + 20_000 }))).ok).toBe(true);
    });

    it('reserves estimated tokens at admission and corrects them with the actual tokens at settlement', async () => {
      const tpm = [rateLimit('rl_tpm', { tokensPerMinute: 1_000 })];
      const first = await limiter.admit(request({ rateLimits: tpm, reserveTokens: 600 }));
      expect(rateLimitHeaders(first)).toEqual({
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '400',
        'x-ratelimit-reset-tokens': '36s',
      });
      expect(await limiter.admit(request({ rateLimits: tpm, reserveTokens: 600 }))).toMatchObject({
        reason: 'rate_limited',
        dimension: 'tokens',
        retryAfterSeconds: 12,
      });
      await limiter.settle(ticketOf(first), { costMicros: 0, tokens: 100 });
      const second = await limiter.admit(request({ rateLimits: tpm, reserveTokens: 600 }));
      expect(rateLimitHeaders(second)['x-ratelimit-remaining-tokens']).toBe('300');
    });

    it('refuses a request that needs more tokens than a minute allows, with no point in retrying', async () => {
      const refused = await limiter.admit(request({ rateLimits: [rateLimit('rl_tpm', { tokensPerMinute: 1_000 })], reserveTokens: 1_001 }));
      expect(refused).toMatchObject({ reason: 'rate_limited', dimension: 'tokens', retryAfterSeconds: null });
      expect(rateLimitHeaders(refused)['retry-after']).toBeUndefined();
    });

    it('caps requests in flight and frees a slot when one settles or is released', async () => {
      const concurrent = [rateLimit('rl_conc', { scope: { kind: 'key', id: KEY }, concurrentRequests: 2 })];
      const a = ticketOf(await limiter.admit(request({ rateLimits: concurrent })));
      const b = ticketOf(await limiter.admit(request({ rateLimits: concurrent })));
      expect(await limiter.admit(request({ rateLimits: concurrent }))).toMatchObject({
        reason: 'rate_limited',
        dimension: 'concurrency',
        limit: 2,
        retryAfterSeconds: 1,
      });
      await limiter.settle(a, { costMicros: 0, tokens: 0 });
      const c = ticketOf(await limiter.admit(request({ rateLimits: concurrent })));
      await limiter.release(b);
      await limiter.release(c);
      expect((await limiter.admit(request({ rateLimits: concurrent }))).ok).toBe(true);
    });

    it('frees the concurrency slot of a request whose lease lapsed', async () => {
      make({ leaseMs: 30_000 });
      const single = [rateLimit('rl_conc', { concurrentRequests: 1 })];
      ticketOf(await limiter.admit(request({ rateLimits: single })));
      expect((await limiter.admit(request({ rateLimits: single, now: T0 + 29_000 }))).ok).toBe(false);
      expect((await limiter.admit(request({ rateLimits: single, now: T0 + 30_000 }))).ok).toBe(true);
    });

    it('reports the tightest of several applicable limits', async () => {
      const limits = [
        rateLimit('rl_org', { requestsPerMinute: 100, tokensPerMinute: 10_000 }),
        rateLimit('rl_key', { scope: { kind: 'key', id: KEY }, requestsPerMinute: 2, tokensPerMinute: 1_000_000 }),
      ];
      const headers = rateLimitHeaders(await limiter.admit(request({ rateLimits: limits, reserveTokens: 1_000 })));
      expect(headers).toMatchObject({
        'x-ratelimit-limit-requests': '2',
        'x-ratelimit-remaining-requests': '1',
        'x-ratelimit-limit-tokens': '10000',
        'x-ratelimit-remaining-tokens': '9000',
      });
    });

    it('charges nothing anywhere when a rate limit refuses', async () => {
      const keyBudget = budget('b_key', { scope: { kind: 'key', id: KEY } });
      const rpm = [rateLimit('rl_rpm', { scope: { kind: 'team', id: TEAM }, requestsPerMinute: 1 })];
      ticketOf(await limiter.admit(request({ rateLimits: rpm })));
      expect(await limiter.admit(request({ budgets: [keyBudget], rateLimits: rpm, reserveMicros: 5 }))).toMatchObject({ reason: 'rate_limited' });
      expect(await limiter.usage(ORG, 'b_key', '2025-03')).toEqual({ spentMicros: 0, reservedMicros: 0, reservations: 0 });
    });
  });

  it('rejects amounts that are not non-negative safe integers', async () => {
    await expect(limiter.admit(request({ reserveMicros: 1.5 }))).rejects.toThrow('reserveMicros must be a non-negative safe integer');
    await expect(limiter.admit(request({ budgets: [budget('b', { limitMicros: -1 })] }))).rejects.toThrow(RangeError);
    await expect(limiter.admit(request({ orgId: ORG, rateLimits: [rateLimit('r', { requestsPerMinute: 0 })] }))).rejects.toThrow(
      'requestsPerMinute of rate limit r must be a positive integer',
    );
  });
});
