import type { RedisServer } from '@keyward/data-plane/testing';
import type { RouteConfig, RouteCredentialTarget } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import type { TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { startRedisNodes, type RedisNodes } from './support/redis-nodes.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const hi = [{ role: 'user' as const, content: 'hi' }];
const breaker = { consecutiveFailures: 1, errorRatePercent: 100, windowSeconds: 60, minRequests: 100, openSeconds: 60 };

describe('circuit breakers shared by two data-plane nodes through Redis', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let redis: RedisServer;
  let collector: EventCollector;
  let nodes: readonly TestDataPlane[] = [];
  let cluster: RedisNodes;
  let key: TestKey;
  let live: TestCredential;
  const routes: RouteConfig[] = [];
  const target = (model: string): RouteCredentialTarget => ({
    credentialId: live.config.id,
    model,
    weight: 1,
    timeoutMs: 5_000,
    maxRetries: 0,
    contextTokens: null,
  });
  const client = (node: TestDataPlane) => new OpenAI({ apiKey: key.secret, baseURL: `${node.url}/v1`, maxRetries: 0 });
  const outcomes = async (node: TestDataPlane, model: string) => {
    const { response } = await client(node).chat.completions.create({ model, messages: hi }).withResponse();
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    return event.attempts!.map((a) => a.outcome);
  };
  const asked = (model: string) => mock.requests.filter((r) => (r.body as { model?: string }).model === model).length;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    live = await world.credential('openai', `${mock.url}/v1`);
    key = world.key();
    routes.push(world.route({ match: ['shared'], breaker, targets: [target('gpt-flaky'), target('gpt-4o-mini')] }));
    routes.push(world.route({ match: ['local'], breaker, targets: [target('gpt-flaky-too'), target('gpt-4o-mini')] }));
    mock.setBehaviour({ error: { status: 503 } }, { model: 'gpt-flaky' });
    mock.setBehaviour({ error: { status: 503 } }, { model: 'gpt-flaky-too' });
    const snapshot = world.snapshot({ keys: [key], credentials: [live], routes });
    cluster = await startRedisNodes({ world, snapshot, eventsUrl: collector.eventsUrl });
    ({ nodes, redis } = cluster);
  });

  afterAll(async () => {
    await cluster?.close();
    await mock?.close();
    await collector?.close();
  });

  it('spares the second node the failing target once the first opened its circuit', async () => {
    expect(await outcomes(nodes[0], 'shared')).toEqual(['server_error', 'answered']);
    await vi.waitFor(async () => {
      const metrics = await (await fetch(`${nodes[1].url}/metrics`)).text();
      expect(metrics).toContain(`keyward_dp_target_circuit_state{target="${live.config.id}/gpt-flaky"} 2`);
    });
    expect(await outcomes(nodes[1], 'shared')).toEqual(['circuit_open', 'answered']);
    expect(asked('gpt-flaky')).toBe(1);
  });

  it('keeps deciding on each node’s own failures while Redis is away', async () => {
    await redis.stop();
    expect(await outcomes(nodes[1], 'local')).toEqual(['server_error', 'answered']);
    expect(await outcomes(nodes[1], 'local')).toEqual(['circuit_open', 'answered']);
    // The other node never heard of it: it finds out for itself.
    expect(await outcomes(nodes[0], 'local')).toEqual(['server_error', 'answered']);
    expect(asked('gpt-flaky-too')).toBe(2);
    await vi.waitFor(() => expect(nodes[1].logs.some((line) => line.includes('circuit states cannot be shared'))).toBe(true));
  });
});
