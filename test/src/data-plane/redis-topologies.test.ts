import { RedisLimiter, ResilientLimiter } from '@keyward/data-plane';
import { startRedisCluster, startRedisSentinel } from '@keyward/data-plane/testing';
import { uuidv7, type BudgetConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

/** gpt-4o-mini: $0.15 in, $0.60 out per million tokens. */
const costOf = (input: number, output: number) => Math.ceil((input * 150_000 + output * 600_000) / 1_000_000);

interface Topology {
  readonly url: string;
  stop(): Promise<void>;
  /** Kills the master and resolves once the replica serves in its place (Sentinel). */
  failOver?(): Promise<void>;
}

const topologies: { name: string; failsOver: boolean; start: () => Promise<Topology> }[] = [
  // Without replicas: a cluster's failover is Redis's own, and the slots stay where they are.
  { name: 'Redis Cluster (three masters)', failsOver: false, start: startRedisCluster },
  {
    name: 'Redis Sentinel (a master, a replica and a sentinel)',
    failsOver: true,
    start: async () => {
      const servers = await startRedisSentinel();
      return {
        url: servers.url,
        stop: () => servers.stop(),
        failOver: async () => {
          await servers.killMaster();
          await servers.waitForMaster(servers.replicaPort);
        },
      };
    },
  },
];

describe.each(topologies)('three data-plane nodes given REDIS_URL for $name', ({ start, failsOver }) => {
  let world: TestWorld;
  let mock: MockProvider;
  let redis: Topology;
  let key: TestKey;
  let cachedKey: TestKey;
  let budget: BudgetConfig;
  let reader: RedisLimiter;
  const nodes: TestDataPlane[] = [];
  const limiters: ResilientLimiter[] = [];

  const ask = (node: TestDataPlane, asKey: TestKey, text = 'Say hi') =>
    new OpenAI({ apiKey: asKey.secret, baseURL: `${node.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: text }] })
      .withResponse()
      .then(
        ({ response }) => ({ status: 200, code: null as string | null, cache: response.headers.get('x-keyward-cache') }),
        (error: InstanceType<typeof OpenAI.APIError>) => ({ status: error.status, code: (error.code as string | null) ?? null, cache: null }),
      );
  const spent = async () => (await reader.usage(world.org.id, budget.id, 'lifetime')).spentMicros;

  beforeAll(async () => {
    world = await createTestWorld({ limiterFailMode: 'closed' });
    mock = await startMockProvider({ behaviour: { usage: { inputTokens: 9, outputTokens: 7 } } });
    redis = await start();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
    cachedKey = world.key({ cache: { ttlSeconds: 300 } });
    budget = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: key.config.id },
      period: 'lifetime',
      limitMicros: 8 * costOf(9, 1_000),
      action: 'block',
      alertThresholds: [],
    };
    const snapshot = { ...world.snapshot({ keys: [key, cachedKey], credentials: [credential] }), budgets: { [budget.id]: budget } };
    for (let i = 0; i < 3; i++) {
      // The response cache and circuit sharing come from REDIS_URL as in production; the limiter
      // too, through the same URL, with a timeout generous enough for three nodes in one process.
      const limiter = new ResilientLimiter({ shared: new RedisLimiter({ redis: redis.url }), timeoutMs: 2_000 });
      limiters.push(limiter);
      nodes.push(await startTestDataPlane({ world, snapshot, limiter, env: { REDIS_URL: redis.url } }));
    }
    reader = new RedisLimiter({ redis: redis.url });
    await new Promise((resolve) => reader.redis.once('ready', resolve));
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes) await node.close();
    for (const limiter of limiters) await limiter.close();
    await reader?.close();
    await redis?.stop();
    await mock?.close();
  });

  it('admits concurrent requests spread over the nodes only within one shared budget, and settles each once', async () => {
    mock.setBehaviour({ firstByteDelayMs: 200, usage: { inputTokens: 9, outputTokens: 7 } });
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(nodes[i % 3]!, key)));
    mock.setBehaviour({ usage: { inputTokens: 9, outputTokens: 7 } });
    const admitted = outcomes.filter((o) => o.status === 200).length;
    expect(outcomes.filter((o) => o.status !== 200)).toEqual(
      outcomes.filter((o) => o.status !== 200).map(() => ({ status: 429, code: 'budget_exceeded', cache: null })),
    );
    expect(admitted).toBe(8);
    expect(await spent()).toBe(admitted * costOf(9, 7));
    expect(await reader.usage(world.org.id, budget.id, 'lifetime')).toMatchObject({ reservedMicros: 0, reservations: 0 });
  });

  it('answers a request from the cache another node filled', async () => {
    const text = `What is the capital of France? ${uuidv7()}`;
    const before = mock.requests.length;
    expect(await ask(nodes[0]!, cachedKey, text)).toMatchObject({ status: 200, cache: 'miss' });
    // The store is written after the answer; give it a moment to land.
    await expect.poll(async () => (await ask(nodes[1]!, cachedKey, text)).cache, { timeout: 5_000 }).toBe('hit');
    expect(mock.requests.length).toBe(before + 1);
  });

  if (failsOver) {
    it('keeps counting on the promoted replica from the spend made before the master failed', async () => {
      const before = await spent();
      expect(before).toBe(8 * costOf(9, 7));
      await redis.failOver!();
      // The nodes find the promoted replica through the sentinel; until then they fail closed.
      await expect.poll(async () => (await ask(nodes[2]!, key)).status, { timeout: 30_000, interval: 500 }).toBe(200);
      // The spend made before the failover survived on the replica, and the new one adds to it.
      await expect.poll(() => spent().catch(() => -1), { timeout: 10_000 }).toBe(before + costOf(9, 7));
      expect(await reader.usage(world.org.id, budget.id, 'lifetime')).toMatchObject({ reservedMicros: 0, reservations: 0 });
    }, 60_000);
  }
});

describe('the spend sync of a node on Redis Cluster', () => {
  let system: TestSystem;
  let cluster: Topology;
  let reader: RedisLimiter;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    system = await startTestSystem(inject('pgAdminUrl'), { dataPlaneEnv: { REDIS_URL: cluster.url, KEYWARD_SPEND_RECONCILE_SECONDS: '1' } });
    reader = new RedisLimiter({ redis: cluster.url });
    await new Promise((resolve) => reader.redis.once('ready', resolve));
  }, 120_000);

  afterAll(async () => {
    await reader?.close();
    await system?.close();
    await cluster?.stop();
  });

  it("sets the cluster's counter of a budget to PostgreSQL's figure, in the budget's organization", async () => {
    await system.addMockCredential();
    const key = await system.createKey();
    const before = system.dp.node.readiness().version ?? 0;
    const created = await system.owner.gql<{ createBudget: { id: string } }>(
      'mutation($key: ID!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: LIFETIME, limit: "5.00" }) { id } }',
      { key: key.id },
    );
    const budgetId = created.data!.createBudget.id;
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the budget to reach the node');
    system.mock.setBehaviour({ usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    await new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // gpt-4o-mini: $0.15 in and $0.60 out per million tokens, so the call cost 750 micro-dollars.
    const counter = () => reader.usage(system.owner.orgId, budgetId, 'lifetime').then((u) => u.spentMicros);
    await eventually(async () => ((await counter()) === 750 ? true : undefined), 10_000, 'the settled spend in the cluster');
    // Drift the shared counter as an emptied or replayed Redis would: the next sync puts it back.
    await reader.reconcile(system.owner.orgId, budgetId, 'lifetime', 999_999);
    await eventually(async () => ((await counter()) === 750 ? true : undefined), 10_000, "PostgreSQL's figure back in the cluster");
  });
});
