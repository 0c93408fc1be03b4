import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLimiterRedis, RedisLimiter } from './redis-limiter.js';
import type { RedisClient } from './redis-client.js';
import { budget, KEY, ORG, rateLimit, request, T0 } from './testing/fixtures.js';
import { startRedisServer, type RedisServer } from './testing/redis-server.js';
import type { Admission, Ticket } from './types.js';

let server: RedisServer;
let admin: RedisClient;
const opened: RedisLimiter[] = [];
let run = 0;

/** A limiter on its own connection, as another data-plane node would have. */
async function node(prefix: string, options: { leaseMs?: number } = {}): Promise<RedisLimiter> {
  const limiter = new RedisLimiter({ redis: server.url, keyPrefix: prefix, clock: () => T0, ...options });
  opened.push(limiter);
  await once(limiter.redis, 'ready');
  return limiter;
}

const ticketOf = (a: Admission): Ticket => {
  if (!a.ok) throw new Error(`Expected an admission, got ${a.reason}`);
  return a.ticket;
};

beforeAll(async () => {
  server = await startRedisServer();
  admin = createLimiterRedis(server.url);
  await once(admin, 'ready');
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

describe('RedisLimiter across nodes', () => {
  const shared = budget('b_shared', { scope: { kind: 'key', id: KEY }, limitMicros: 1_000_000, alertThresholds: [50, 80, 100] });

  it('lets three nodes sharing one Redis admit only what fits among 50 concurrent requests', async () => {
    const prefix = `nodes${++run}:`;
    const nodes = [await node(prefix), await node(prefix), await node(prefix)];
    const admissions = await Promise.all(Array.from({ length: 50 }, (_, i) => nodes[i % 3].admit(request({ budgets: [shared], reserveMicros: 30_000 }))));
    const admitted = admissions.map((a, i) => ({ a, node: nodes[i % 3] })).filter(({ a }) => a.ok);
    expect(admitted).toHaveLength(33);
    const costs = admitted.map((_, i) => 25_000 + ((i * 7_919) % 5_001));
    const results = await Promise.all(admitted.map(({ a, node }, i) => node.settle(ticketOf(a), { costMicros: costs[i], tokens: 0 })));
    const spent = costs.reduce((sum, c) => sum + c, 0);
    expect(await nodes[0].usage(ORG, 'b_shared', '2025-03')).toEqual({ spentMicros: spent, reservedMicros: 0, reservations: 0 });
    // Spend reached 50% and 80% (but not 100%) and each was reported by exactly one settlement.
    expect(spent).toBeGreaterThanOrEqual(800_000);
    expect(spent).toBeLessThan(1_000_000);
    expect(results.flatMap((r) => r.crossed.map((c) => c.threshold)).sort()).toEqual([50, 80]);
  });

  it('keeps a concurrency cap across nodes', async () => {
    const prefix = `conc${++run}:`;
    const nodes = [await node(prefix), await node(prefix), await node(prefix)];
    const cap = [rateLimit('rl_conc', { concurrentRequests: 5 })];
    const admissions = await Promise.all(Array.from({ length: 30 }, (_, i) => nodes[i % 3].admit(request({ rateLimits: cap }))));
    expect(admissions.filter((a) => a.ok)).toHaveLength(5);
  });

  it('frees the reservation of a node that died mid-request when its lease lapses', async () => {
    const prefix = `crash${++run}:`;
    const crashed = await node(prefix, { leaseMs: 60_000 });
    ticketOf(await crashed.admit(request({ budgets: [shared], reserveMicros: 800_000 })));
    await crashed.close();
    const survivor = await node(prefix, { leaseMs: 60_000 });
    expect(await survivor.admit(request({ budgets: [shared], reserveMicros: 300_000, now: T0 + 59_000 }))).toMatchObject({
      reason: 'budget_exceeded',
      reservedMicros: 800_000,
    });
    const later = await survivor.admit(request({ budgets: [shared], reserveMicros: 300_000, now: T0 + 60_000 }));
    expect(later.ok && later.budgets[0].reservedMicros).toBe(300_000);
    const leases = await admin.zrange(`${prefix}{${ORG}}:budget:b_shared:2025-03:leases`, 0, -1);
    expect(leases).toEqual([`${ticketOf(later).id}:300000`]);
  });
});

describe('RedisLimiter keys and scripts', () => {
  it('gives every key it writes an expiry', async () => {
    const prefix = `ttl${++run}:`;
    const limiter = await node(prefix);
    const budgets = [budget('b_month'), budget('b_life', { period: 'lifetime' })];
    const limits = [rateLimit('rl', { requestsPerMinute: 10, tokensPerMinute: 1_000, concurrentRequests: 3 })];
    const a = ticketOf(await limiter.admit(request({ budgets, rateLimits: limits, reserveMicros: 10, reserveTokens: 100 })));
    ticketOf(await limiter.admit(request({ budgets, rateLimits: limits, reserveMicros: 10, reserveTokens: 100 })));
    await limiter.settle(a, { costMicros: 5, tokens: 150 });
    await limiter.reconcile(ORG, 'b_month', '2025-02', 42);
    const keys = await admin.keys(`${prefix}*`);
    expect(keys.sort()).toEqual(
      [
        'budget:b_life:lifetime',
        'budget:b_life:lifetime:leases',
        'budget:b_month:2025-02',
        'budget:b_month:2025-03',
        'budget:b_month:2025-03:leases',
        'rate:rl:inflight',
        'rate:rl:requests',
        'rate:rl:tokens',
      ].map((k) => `${prefix}{${ORG}}:${k}`),
    );
    for (const key of keys) expect(await admin.pttl(key), key).toBeGreaterThan(0);
  });

  it('decides each admission in one EVALSHA round trip', async () => {
    const limiter = await node(`sha${++run}:`);
    const req = request({ budgets: [budget('b1'), budget('b2')], rateLimits: [rateLimit('rl', { requestsPerMinute: 100 })], reserveMicros: 1 });
    await limiter.admit(req); // loads the script
    await admin.config('RESETSTAT');
    for (let i = 0; i < 10; i++) await limiter.admit(req);
    const stats = (await admin.info('commandstats')).split('\r\n').filter((l) => l.startsWith('cmdstat_'));
    const calls = Object.fromEntries(stats.map((l) => [l.slice(8, l.indexOf(':')), Number(/calls=(\d+)/.exec(l)![1])]));
    expect(calls.evalsha).toBe(10);
    expect(calls.eval).toBeUndefined();
  });

  it('admits without touching Redis when no budget or rate limit applies', async () => {
    const limiter = await node(`none${++run}:`);
    await admin.config('RESETSTAT');
    const admission = await limiter.admit(request({ reserveMicros: 100 }));
    await limiter.settle(ticketOf(admission), { costMicros: 80, tokens: 10 });
    expect(await admin.info('commandstats')).not.toContain('cmdstat_evalsha');
  });
});
