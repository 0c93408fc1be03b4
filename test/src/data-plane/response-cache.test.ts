import { MemoryLimiter } from '@keyward/data-plane';
import { uuidv7, type BudgetConfig, type ConfigSnapshot, type RateLimitConfig, type RouteCredentialTarget } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const question = (text: string) => [{ role: 'user' as const, content: text }];

describe('the response cache', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let node: TestDataPlane;
  let snapshot: ConfigSnapshot;
  let cached: TestKey;
  let shortLived: TestKey;
  let uncached: TestKey;
  let routed: TestKey;
  let otherOrg: TestKey;
  let limited: TestKey;
  let limiter: MemoryLimiter;
  let budget: BudgetConfig;
  const client = (key: TestKey, headers: Record<string, string> = {}) =>
    new OpenAI({ apiKey: key.secret, baseURL: `${node.url}/v1`, maxRetries: 0, defaultHeaders: headers });
  const ask = (key: TestKey, text: string, headers: Record<string, string> = {}) =>
    client(key, headers)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: question(text) })
      .withResponse();

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    const org2 = world.newOrg();
    const credential2: TestCredential = await world.credential('openai', `${mock.url}/v1`, { orgId: org2.id });
    cached = world.key({ cache: { ttlSeconds: 300 } });
    shortLived = world.key({ cache: { ttlSeconds: 1 } });
    uncached = world.key();
    routed = world.key();
    otherOrg = world.key({ orgId: org2.id, cache: { ttlSeconds: 300 } });
    limited = world.key({ cache: { ttlSeconds: 300 } });
    budget = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: limited.config.id },
      period: 'lifetime',
      limitMicros: 1_000_000,
      action: 'block',
      alertThresholds: [],
    };
    const rateLimit: RateLimitConfig = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: limited.config.id },
      requestsPerMinute: 3,
      tokensPerMinute: 100_000,
    };
    const target: RouteCredentialTarget = {
      credentialId: credential.config.id,
      model: 'gpt-4o-mini',
      weight: 1,
      timeoutMs: 5_000,
      maxRetries: 0,
      contextTokens: null,
    };
    const route = world.route({ match: ['smart'], targets: [target], cache: { ttlSeconds: 300 } }, [{ kind: 'key', id: routed.config.id }]);
    snapshot = {
      ...world.snapshot({
        keys: [cached, shortLived, uncached, routed, otherOrg, limited],
        credentials: [credential, credential2],
        orgs: [org2],
        routes: [route],
      }),
      budgets: { [budget.id]: budget },
      rateLimits: { [rateLimit.id]: rateLimit },
    };
    limiter = new MemoryLimiter();
    node = await startTestDataPlane({ world, snapshot, eventsUrl: collector.eventsUrl, limiter });
  });

  afterAll(async () => {
    await node?.close();
    await limiter?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => {
    mock.reset();
  });

  it('answers a second identical request from the cache without calling the provider, at zero cost with its tokens', async () => {
    const first = await ask(cached, 'What is the capital of France?');
    expect(first.response.headers.get('x-keyward-cache')).toBe('miss');
    const second = await ask(cached, 'What is the capital of France?');
    expect(second.response.headers.get('x-keyward-cache')).toBe('hit');
    expect(mock.requests).toHaveLength(1);
    expect(second.data).toEqual(first.data);

    const missed = await eventFor(collector, first.response.headers.get('x-request-id'));
    const hit = await eventFor(collector, second.response.headers.get('x-request-id'));
    expect(missed).toMatchObject({ cacheHit: false, status: 200 });
    expect(missed.costMicros).toBeGreaterThan(0);
    expect(hit).toMatchObject({
      cacheHit: true,
      status: 200,
      costMicros: 0,
      provider: null,
      credentialId: null,
      model: missed.model,
      inputTokens: missed.inputTokens,
      outputTokens: missed.outputTokens,
      attempts: [],
    });
    expect(hit.inputTokens).toBeGreaterThan(0);
  });

  it('replays a streamed answer as the same SSE events, parsed by the openai client like the original', async () => {
    const streamed = async () => {
      const { data, response } = await client(cached)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: question('Stream me a story.'), stream: true, stream_options: { include_usage: true } })
        .withResponse();
      const chunks = [];
      for await (const chunk of data) chunks.push(chunk);
      return { chunks, response };
    };
    const first = await streamed();
    const second = await streamed();
    expect(first.response.headers.get('x-keyward-cache')).toBe('miss');
    expect(second.response.headers.get('x-keyward-cache')).toBe('hit');
    expect(second.response.headers.get('content-type')).toContain('text/event-stream');
    expect(mock.requests).toHaveLength(1);
    expect(first.chunks.length).toBeGreaterThan(2);
    expect(second.chunks).toEqual(first.chunks);
    const hit = await eventFor(collector, second.response.headers.get('x-request-id'));
    expect(hit).toMatchObject({ cacheHit: true, stream: true, costMicros: 0 });
    // A whole answer is not served to a stream, nor a stream to a whole answer.
    const whole = await ask(cached, 'Stream me a story.');
    expect(whole.response.headers.get('x-keyward-cache')).toBe('miss');
  });

  it('never serves one organization the answer cached for another', async () => {
    await ask(cached, 'Shared secret question');
    const other = await ask(otherOrg, 'Shared secret question');
    expect(other.response.headers.get('x-keyward-cache')).toBe('miss');
    expect(mock.requests).toHaveLength(2);
  });

  it('forgets an answer once its TTL passed', async () => {
    await ask(shortLived, 'Fleeting');
    expect((await ask(shortLived, 'Fleeting')).response.headers.get('x-keyward-cache')).toBe('hit');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await ask(shortLived, 'Fleeting')).response.headers.get('x-keyward-cache')).toBe('miss');
    expect(mock.requests).toHaveLength(2);
  });

  it('is bypassed, for lookup and store, by Cache-Control: no-store or no-cache', async () => {
    const a = await ask(cached, 'Fresh please', { 'cache-control': 'no-store' });
    expect(a.response.headers.get('x-keyward-cache')).toBe('bypass');
    expect((await ask(cached, 'Fresh please')).response.headers.get('x-keyward-cache')).toBe('miss');
    const c = await ask(cached, 'Fresh please', { 'cache-control': 'no-cache' });
    expect(c.response.headers.get('x-keyward-cache')).toBe('bypass');
    expect(mock.requests).toHaveLength(3);
  });

  it('counts hits, misses, bypasses and stored answers in /metrics', async () => {
    const counts = async () => {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const count = (outcome: string) => Number(new RegExp(`^keyward_dp_response_cache_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      return { hit: count('hit'), miss: count('miss'), bypass: count('bypass'), stored: count('stored') };
    };
    const before = await counts();
    await ask(cached, 'Counted once');
    await ask(cached, 'Counted once');
    await ask(cached, 'Counted once');
    await ask(cached, 'Counted once', { 'cache-control': 'no-store' });
    await ask(uncached, 'Not cached at all');
    const after = await counts();
    expect({
      hit: after.hit - before.hit,
      miss: after.miss - before.miss,
      bypass: after.bypass - before.bypass,
      stored: after.stored - before.stored,
    }).toEqual({ hit: 2, miss: 1, bypass: 1, stored: 1 });
  });

  it('applies a route’s cache setting, and is off for a key and route without one', async () => {
    const routedAsk = () =>
      client(routed)
        .chat.completions.create({ model: 'smart', messages: question('Via the route') })
        .withResponse();
    expect((await routedAsk()).response.headers.get('x-keyward-cache')).toBe('miss');
    expect((await routedAsk()).response.headers.get('x-keyward-cache')).toBe('hit');
    await ask(uncached, 'Via the route');
    const again = await ask(uncached, 'Via the route');
    expect(again.response.headers.get('x-keyward-cache')).toBeNull();
    expect(mock.requests).toHaveLength(3);
  });

  it('counts a hit as a request for rate limits, but spends nothing of a budget', async () => {
    const first = await ask(limited, 'Limited question');
    const missed = await eventFor(collector, first.response.headers.get('x-request-id'));
    for (let i = 0; i < 2; i++) expect((await ask(limited, 'Limited question')).response.headers.get('x-keyward-cache')).toBe('hit');
    expect(await limiter.usage(world.org.id, budget.id, 'lifetime')).toEqual({ spentMicros: missed.costMicros, reservedMicros: 0, reservations: 0 });
    // The fourth request within the minute is over the limit of three, hit or not.
    const error = await ask(limited, 'Limited question').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(mock.requests).toHaveLength(1);
  });

  it('still runs policies on a request it holds an answer for: a blocked prompt is blocked', async () => {
    await ask(cached, 'Tell me about project nightingale');
    const blocking = testPolicy(world, {
      name: 'no nightingale',
      rules: [{ id: 'nightingale', when: { prompt: { contains: 'nightingale' } }, action: { type: 'block', status: 422, message: 'Not that project.' } }],
    });
    node.source!.publish(withPolicies({ ...snapshot, version: snapshot.version + 1 }, [blocking]));
    await expect.poll(async () => ((await (await fetch(`${node.url}/readyz`)).json()) as { version: number }).version).toBe(snapshot.version + 1);
    const error = await ask(cached, 'Tell me about project nightingale').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(422);
    expect(mock.requests).toHaveLength(1);
  });
});
