import type { RedisServer } from '@keyward/data-plane/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import type { TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { startRedisNodes, type RedisNodes } from './support/redis-nodes.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

describe('the response cache shared by two data-plane nodes through Redis', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let redis: RedisServer;
  let collector: EventCollector;
  let nodes: readonly TestDataPlane[] = [];
  let cluster: RedisNodes;
  let key: TestKey;
  const ask = (node: TestDataPlane, text: string) =>
    new OpenAI({ apiKey: key.secret, baseURL: `${node.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] })
      .withResponse();

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    key = world.key({ cache: { ttlSeconds: 300 } });
    const snapshot = world.snapshot({ keys: [key], credentials: [credential] });
    cluster = await startRedisNodes({ world, snapshot, eventsUrl: collector.eventsUrl });
    ({ nodes, redis } = cluster);
  });

  afterAll(async () => {
    await cluster?.close();
    await mock?.close();
    await collector?.close();
  });

  it('serves on the second node the answer the first one cached', async () => {
    const first = await ask(nodes[0], 'Asked on one node');
    const second = await ask(nodes[1], 'Asked on one node');
    expect(first.response.headers.get('x-keyward-cache')).toBe('miss');
    expect(second.response.headers.get('x-keyward-cache')).toBe('hit');
    expect(second.data).toEqual(first.data);
    expect(mock.requests).toHaveLength(1);
    expect(await eventFor(collector, second.response.headers.get('x-request-id'))).toMatchObject({ cacheHit: true, costMicros: 0, nodeId: 'node-1' });
  });

  it('misses, and still answers every request, while Redis is down', async () => {
    await redis.stop();
    const before = mock.requests.length;
    for (const node of nodes) {
      for (let i = 0; i < 2; i++) {
        const { data, response } = await ask(node, 'Asked while Redis is away');
        expect(response.status).toBe(200);
        expect(response.headers.get('x-keyward-cache')).toBe('miss');
        expect(data.choices[0].message.content).toBeTruthy();
      }
    }
    expect(mock.requests.length - before).toBe(4);
    expect(nodes[0].logs.some((line) => line.includes('response cache unreachable'))).toBe(true);
  });

  it('keeps every secret out of the logs', () => {
    for (const node of nodes) for (const secret of world.secrets) expect(node.logs.join('\n')).not.toContain(secret);
  });
});
