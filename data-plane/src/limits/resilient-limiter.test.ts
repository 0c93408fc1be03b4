import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from './redis-client.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';
import { LimiterTimeoutError, ResilientLimiter } from './resilient-limiter.js';
import { budget, ORG, rateLimit, request, T0 } from './testing/fixtures.js';
import { startRedisServer, type RedisServer } from './testing/redis-server.js';
import type { Admission, ThresholdCrossing, Ticket } from './types.js';

let server: RedisServer;
let shared: RedisLimiter;
let limiter: ResilientLimiter;
let prefix: string;
let run = 0;
const errors: unknown[] = [];
const crossings: ThresholdCrossing[] = [];
const monthly = budget('b_org', { limitMicros: 1_000_000 });

const ticketOf = (a: Admission): Ticket => {
  if (!a.ok) throw new Error(`Expected an admission, got ${a.reason}`);
  return a.ticket;
};

/** Waits for (re)connection; connection errors on the way are expected, not failures. */
async function connected(redis: RedisClient): Promise<void> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
}

beforeAll(async () => {
  server = await startRedisServer();
});

beforeEach(async () => {
  prefix = `resilient${++run}:`;
  shared = new RedisLimiter({ redis: server.url, keyPrefix: prefix, clock: () => T0 });
  await connected(shared.redis);
  errors.length = 0;
  crossings.length = 0;
  limiter = new ResilientLimiter({
    shared,
    local: new MemoryLimiter({ clock: () => T0, sweepIntervalMs: 0 }),
    timeoutMs: 75,
    backoffMs: 50,
    onError: (error) => errors.push(error),
    onCrossed: (crossed) => crossings.push(...crossed),
  });
});

afterEach(async () => {
  server.resume();
  await limiter.close();
  if (!server.running) await server.restart();
});

afterAll(async () => {
  await server.stop();
});

describe('ResilientLimiter', () => {
  it('uses the shared counters while Redis answers', async () => {
    ticketOf(await limiter.admit(request({ budgets: [monthly], reserveMicros: 400_000 })));
    expect(await shared.usage(ORG, 'b_org', '2025-03')).toMatchObject({ reservedMicros: 400_000 });
    expect(limiter.overflowStats()).toMatchObject({ admittedRequests: 0, refusedRequests: 0, pendingMicros: 0 });
  });

  it('seeds both the shared counters and its own fallback, so a budget already spent refuses even while Redis is away', async () => {
    await limiter.seed(ORG, 'b_org', '2025-03', 900_000);
    expect(await shared.usage(ORG, 'b_org', '2025-03')).toMatchObject({ spentMicros: 900_000 });
    expect(await limiter.admit(request({ budgets: [monthly], reserveMicros: 200_000 }))).toMatchObject({ reason: 'budget_exceeded' });
    await server.stop();
    const open = await limiter.admit(request({ budgets: [monthly], reserveMicros: 200_000, failMode: 'open' }));
    expect(open).toMatchObject({ reason: 'budget_exceeded', spentMicros: 900_000 });
  });

  it('refuses with limiter_unavailable when Redis stops and the organization fails closed', async () => {
    await server.stop();
    const refused = await limiter.admit(request({ budgets: [monthly], reserveMicros: 1, failMode: 'closed' }));
    expect(refused).toMatchObject({ ok: false, reason: 'limiter_unavailable', retryAfterSeconds: 1 });
    expect(limiter.overflowStats()).toMatchObject({
      refusedRequests: 1,
      admittedRequests: 0,
      byOrg: { [ORG]: { refusedRequests: 1, admittedRequests: 0, admittedMicros: 0 } },
    });
  });

  it('admits through the node-local limiter when Redis stops and the organization fails open, counting the overflow', async () => {
    await server.stop();
    const open = { budgets: [monthly], failMode: 'open' as const };
    ticketOf(await limiter.admit(request({ ...open, reserveMicros: 300_000 })));
    ticketOf(await limiter.admit(request({ ...open, reserveMicros: 200_000, orgId: 'org_other', budgets: [] })));
    // This node alone has reserved 300 000 of the 1 000 000: the local limiter still refuses what cannot fit.
    expect(await limiter.admit(request({ ...open, reserveMicros: 800_000 }))).toMatchObject({ reason: 'budget_exceeded' });
    expect(limiter.overflowStats()).toMatchObject({
      admittedRequests: 2,
      admittedMicros: 500_000,
      refusedRequests: 0,
      byOrg: {
        [ORG]: { admittedRequests: 1, admittedMicros: 300_000 },
        org_other: { admittedRequests: 1, admittedMicros: 200_000 },
      },
    });
  });

  it('writes spend settled while Redis was away back once Redis answers again', async () => {
    const beforeOutage = ticketOf(await limiter.admit(request({ budgets: [monthly], reserveMicros: 200_000 })));
    await server.stop();
    const during = ticketOf(await limiter.admit(request({ budgets: [monthly], reserveMicros: 200_000, failMode: 'open' })));
    expect(await limiter.settle(beforeOutage, { costMicros: 120_000, tokens: 0 })).toEqual({ crossed: [], budgets: [] });
    await limiter.settle(during, { costMicros: 80_000, tokens: 0 });
    expect(limiter.overflowStats()).toMatchObject({ settledLocallyMicros: 200_000, pendingMicros: 200_000, pendingWrites: 2 });

    await server.restart(); // empty: a Redis without persistence lost everything
    await connected(shared.redis);
    await sleep(60); // past the back-off
    ticketOf(await limiter.admit(request({ budgets: [monthly], reserveMicros: 1 })));
    await limiter.flush();
    expect(await shared.usage(ORG, 'b_org', '2025-03')).toEqual({ spentMicros: 200_000, reservedMicros: 1, reservations: 1 });
    expect(limiter.overflowStats()).toMatchObject({ settledLocallyMicros: 200_000, pendingMicros: 0, pendingWrites: 0 });
  });

  it('replays settlements and releases from an outage, freeing slots at once and reporting thresholds', async () => {
    const cap = [rateLimit('rl_conc', { concurrentRequests: 2 })];
    const alerting = budget('b_alerting', { alertThresholds: [50] });
    const settled = ticketOf(await limiter.admit(request({ budgets: [alerting], rateLimits: cap, reserveMicros: 600_000 })));
    const released = ticketOf(await limiter.admit(request({ rateLimits: cap })));
    const ended = new Promise((resolve) => shared.redis.once('end', resolve));
    shared.redis.disconnect();
    await limiter.settle(settled, { costMicros: 550_000, tokens: 0 });
    await limiter.release(released);
    expect(limiter.overflowStats()).toMatchObject({ pendingWrites: 2, pendingMicros: 550_000 });

    await ended;
    await shared.redis.connect();
    await sleep(60); // past the back-off
    // Both slots are still held in Redis, so this is refused, but it proves Redis is back.
    expect(await limiter.admit(request({ rateLimits: cap }))).toMatchObject({ reason: 'rate_limited', dimension: 'concurrency' });
    await limiter.flush();
    expect(limiter.overflowStats()).toMatchObject({ pendingWrites: 0, pendingMicros: 0 });
    expect(crossings).toEqual([{ budgetId: 'b_alerting', periodKey: '2025-03', threshold: 50, spentMicros: 550_000, limitMicros: 1_000_000 }]);
    expect(await shared.usage(ORG, 'b_alerting', '2025-03')).toEqual({ spentMicros: 550_000, reservedMicros: 0, reservations: 0 });
    expect((await limiter.admit(request({ rateLimits: cap }))).ok).toBe(true);
    expect((await limiter.admit(request({ rateLimits: cap }))).ok).toBe(true);
  });

  it('gives up on a hung Redis within its timeout and frees the reservation that lands late', async () => {
    server.pause();
    const started = performance.now();
    const refused = await limiter.admit(request({ budgets: [monthly], reserveMicros: 500_000, failMode: 'closed' }));
    const waited = performance.now() - started;
    expect(refused).toMatchObject({ reason: 'limiter_unavailable' });
    // Well under ioredis' own one-second command timeout: the wrapper's 75 ms decided.
    expect(waited).toBeLessThan(600);
    expect(errors).toEqual([expect.any(LimiterTimeoutError)]);
    server.resume();
    const hash = `${prefix}{${ORG}}:budget:b_org:2025-03`;
    for (let i = 0; i < 50 && (await shared.redis.exists(hash)) === 0; i++) await sleep(20);
    for (let i = 0; i < 50 && (await shared.usage(ORG, 'b_org', '2025-03')).reservations > 0; i++) await sleep(20);
    expect(await shared.redis.exists(hash)).toBe(1);
    expect(await shared.usage(ORG, 'b_org', '2025-03')).toEqual({ spentMicros: 0, reservedMicros: 0, reservations: 0 });
  });

  it('records a settlement whose write timed out only once, when it landed late', async () => {
    const ticket = ticketOf(await limiter.admit(request({ budgets: [monthly], reserveMicros: 300_000 })));
    server.pause();
    await limiter.settle(ticket, { costMicros: 250_000, tokens: 0 });
    expect(limiter.overflowStats().pendingMicros).toBe(250_000);
    server.resume();
    for (let i = 0; i < 50 && limiter.overflowStats().pendingMicros > 0; i++) await sleep(20);
    await sleep(60);
    await limiter.release(ticketOf(await limiter.admit(request({ budgets: [monthly] }))));
    await limiter.flush();
    expect(limiter.overflowStats().pendingMicros).toBe(0);
    expect(await shared.usage(ORG, 'b_org', '2025-03')).toEqual({ spentMicros: 250_000, reservedMicros: 0, reservations: 0 });
  });
});
