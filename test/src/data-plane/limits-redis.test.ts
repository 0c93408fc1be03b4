import { RedisLimiter, ResilientLimiter } from '@keyward/data-plane';
import { startRedisServer, type RedisServer } from '@keyward/data-plane/testing';
import { uuidv7, type BudgetConfig, type ConfigSnapshot, type OrgConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

/** gpt-4o-mini: $0.15 in, $0.60 out per million tokens. */
const costOf = (input: number, output: number) => Math.ceil((input * 150_000 + output * 600_000) / 1_000_000);

type Outcome = { status: number | undefined; code: string | null };

describe('budgets shared by three data-plane nodes through one Redis', () => {
  let world: TestWorld;
  let openOrg: OrgConfig;
  let mock: MockProvider;
  let redis: RedisServer;
  let closedKey: TestKey;
  let openKey: TestKey;
  let credentials: TestCredential[];
  const limiters: ResilientLimiter[] = [];
  const nodes: TestDataPlane[] = [];
  const budgets: BudgetConfig[] = [];
  let snapshot: ConfigSnapshot;

  const ask = (node: TestDataPlane, key: TestKey, maxTokens = 1_000): Promise<Outcome> =>
    new OpenAI({ apiKey: key.secret, baseURL: `${node.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: maxTokens, messages: [{ role: 'user', content: 'Say hi' }] })
      .then(
        () => ({ status: 200, code: null }),
        (error: InstanceType<typeof OpenAI.APIError>) => ({ status: error.status, code: (error.code as string | null) ?? null }),
      );

  beforeAll(async () => {
    world = await createTestWorld({ limiterFailMode: 'closed' });
    openOrg = world.newOrg({ limiterFailMode: 'open' });
    mock = await startMockProvider({ behaviour: { usage: { inputTokens: 9, outputTokens: 7 } } });
    redis = await startRedisServer();
    credentials = [await world.credential('openai', `${mock.url}/v1`), await world.credential('openai', `${mock.url}/v1`, { orgId: openOrg.id })];
    closedKey = world.key();
    openKey = world.key({ orgId: openOrg.id });
    for (const org of [world.org, openOrg]) {
      budgets.push({
        id: uuidv7(),
        orgId: org.id,
        scope: { kind: 'org', id: org.id },
        period: 'lifetime',
        limitMicros: 10 * costOf(9, 1_000),
        action: 'block',
        alertThresholds: [],
      });
    }
    snapshot = {
      ...world.snapshot({ keys: [closedKey, openKey], credentials, orgs: [openOrg] }),
      budgets: Object.fromEntries(budgets.map((b) => [b.id, b])),
    };
    for (let i = 0; i < 3; i++) {
      const shared = new RedisLimiter({ redis: redis.url });
      await new Promise((resolve) => shared.redis.once('ready', resolve));
      // A generous timeout: these tests are about shared counting, not about a slow store (50
      // requests on three nodes in one process keep the event loop busy longer than the default).
      const limiter = new ResilientLimiter({ shared, timeoutMs: 2_000 });
      limiters.push(limiter);
      nodes.push(await startTestDataPlane({ world, snapshot, limiter }));
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.close();
    for (const limiter of limiters) await limiter.close();
    await redis?.stop();
    await mock?.close();
  });

  it('admits 50 concurrent requests spread over three nodes only within the budget, and settles all of them', async () => {
    mock.setBehaviour({ firstByteDelayMs: 300, usage: { inputTokens: 9, outputTokens: 7 } });
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(nodes[i % 3], closedKey)));
    mock.setBehaviour({ usage: { inputTokens: 9, outputTokens: 7 } });
    const admitted = outcomes.filter((o) => o.status === 200).length;
    expect(outcomes.filter((o) => o.status === 429).every((o) => o.code === 'budget_exceeded')).toBe(true);
    expect(admitted + outcomes.filter((o) => o.status === 429).length).toBe(50);
    expect(admitted).toBeGreaterThan(0);
    expect(admitted * costOf(9, 1_000)).toBeLessThanOrEqual(budgets[0].limitMicros);
    // Any node reads the same shared counters: nothing reserved, exactly the settled cost spent.
    for (const limiter of limiters) {
      expect(await limiter.usage(world.org.id, budgets[0].id, 'lifetime')).toEqual({
        spentMicros: admitted * costOf(9, 7),
        reservedMicros: 0,
        reservations: 0,
      });
    }
  });

  it('counts a budget that arrives with spend already made from that spend on every node, once', async () => {
    const seeded: BudgetConfig = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: closedKey.config.id },
      period: 'lifetime',
      limitMicros: 1_000,
      action: 'block',
      alertThresholds: [],
      name: 'closed key',
      spend: { periodKey: 'lifetime', spentMicros: 1_200 },
    };
    for (const node of nodes) node.source!.publish({ ...snapshot, version: 2, budgets: { ...snapshot.budgets, [seeded.id]: seeded } });
    // The very first request on any node is refused: the key already spent more than the new budget.
    const outcomes = await Promise.all(nodes.map((node) => ask(node, closedKey, 10)));
    expect(outcomes).toEqual(nodes.map(() => ({ status: 429, code: 'budget_exceeded' })));
    // Three nodes seeded the same figure: counted once.
    expect(await limiters[0].usage(world.org.id, seeded.id, 'lifetime')).toEqual({ spentMicros: 1_200, reservedMicros: 0, reservations: 0 });
    for (const node of nodes) node.source!.publish({ ...snapshot, version: 3 });
  });

  it('with Redis stopped, refuses an organization that fails closed with 503 and serves one that fails open, counting the overflow', async () => {
    await redis.stop();
    const closed = await Promise.all(nodes.map((node) => ask(node, closedKey, 10)));
    expect(closed).toEqual(nodes.map(() => ({ status: 503, code: 'limiter_unavailable' })));

    const open = await Promise.all(nodes.flatMap((node) => [ask(node, openKey, 10), ask(node, openKey, 10)]));
    expect(open.every((o) => o.status === 200)).toBe(true);
    const overflow = limiters.map((l) => l.overflowStats());
    expect(overflow.reduce((sum, s) => sum + (s.byOrg[openOrg.id]?.admittedRequests ?? 0), 0)).toBe(6);
    expect(overflow.reduce((sum, s) => sum + (s.byOrg[world.org.id]?.refusedRequests ?? 0), 0)).toBe(3);
    // The fail-open settlements wait to be written back once Redis returns.
    expect(overflow.reduce((sum, s) => sum + s.pendingMicros, 0)).toBe(6 * costOf(9, 7));
  });

  it('writes back what was settled meanwhile once Redis is back', async () => {
    await redis.restart();
    await Promise.all(
      limiters.map(
        (l) =>
          new Promise<void>((resolve) => {
            const shared = (l as unknown as { shared: RedisLimiter }).shared;
            if (shared.available) resolve();
            else shared.redis.once('ready', () => resolve());
          }),
      ),
    );
    // A successful request through each node triggers the write-back of its pending settlements.
    for (const node of nodes) expect((await ask(node, openKey, 10)).status).toBe(200);
    for (const limiter of limiters) await limiter.flush();
    const usage = await limiters[0].usage(openOrg.id, budgets[1].id, 'lifetime');
    expect(usage).toEqual({ spentMicros: 9 * costOf(9, 7), reservedMicros: 0, reservations: 0 });
  });

  it('keeps every secret out of the logs', () => {
    expectNoSecretsIn(
      nodes.flatMap((n) => n.logs),
      world.secrets,
    );
  });
});
