import Anthropic from '@anthropic-ai/sdk';
import { MemoryLimiter } from '@keyward/data-plane';
import { uuidv7, type BudgetConfig, type ConfigSnapshot, type RateLimitConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

/** gpt-4o-mini list price: $0.15 in and $0.60 out per million tokens, in micro-dollars. */
const IN_PER_MTOK = 150_000;
const OUT_PER_MTOK = 600_000;
const costOf = (input: number, output: number) => Math.ceil((input * IN_PER_MTOK + output * OUT_PER_MTOK) / 1_000_000);

describe('budgets and rate limits on a data-plane node', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let credential: TestCredential;
  let limiter: MemoryLimiter;
  let dp: TestDataPlane;
  let budgetKey: TestKey;
  let limitedKey: TestKey;
  let freeKey: TestKey;
  let budget: BudgetConfig;
  let rateLimit: RateLimitConfig;
  let version = 1;

  const snapshot = (budgets: BudgetConfig[], rateLimits: RateLimitConfig[]): ConfigSnapshot => ({
    ...world.snapshot({ keys: [budgetKey, limitedKey, freeKey], credentials: [credential], version: version++ }),
    budgets: Object.fromEntries(budgets.map((b) => [b.id, b])),
    rateLimits: Object.fromEntries(rateLimits.map((r) => [r.id, r])),
  });
  const openai = (key: TestKey) => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    world = await createTestWorld({ limiterFailMode: 'closed' });
    mock = await startMockProvider();
    collector = await startEventCollector();
    credential = await world.credential('openai', `${mock.url}/v1`);
    budgetKey = world.key();
    limitedKey = world.key();
    freeKey = world.key();
    limiter = new MemoryLimiter();
    dp = await startTestDataPlane({ world, eventsUrl: collector.eventsUrl, limiter });
  });

  afterAll(async () => {
    await dp?.close();
    await limiter?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => {
    mock.reset();
    // Fresh limits (new ids) for every test, so counters never carry over.
    budget = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: budgetKey.config.id },
      period: 'lifetime',
      // Room for exactly ten requests capped at 1 000 output tokens.
      limitMicros: 10 * costOf(9, 1_000),
      action: 'block',
      alertThresholds: [50, 100],
    };
    rateLimit = {
      id: uuidv7(),
      orgId: world.org.id,
      scope: { kind: 'key', id: limitedKey.config.id },
      requestsPerMinute: 3,
      tokensPerMinute: 100_000,
    };
    dp.source!.publish(snapshot([budget], [rateLimit]));
  });

  it('admits concurrent requests only while their most possible cost fits the budget, and settles every reservation', async () => {
    // Every answer takes 300 ms, so all 50 requests are in flight together.
    mock.setBehaviour({ firstByteDelayMs: 300, usage: { inputTokens: 9, outputTokens: 7 } });
    const client = openai(budgetKey);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        client.chat.completions
          .create({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'Say hi' }] })
          .withResponse()
          .then(
            ({ response }) => ({ status: 200, requestId: response.headers.get('x-request-id'), error: null }),
            (error: InstanceType<typeof OpenAI.APIError>) => ({ status: error.status, requestId: error.headers?.get('x-request-id') ?? null, error }),
          ),
      ),
    );
    const admitted = outcomes.filter((o) => o.status === 200);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(admitted.length + refused.length).toBe(50);
    expect(admitted.length).toBeGreaterThan(0);
    // The reservation (prompt estimate plus max_tokens) caps how many can be in flight at once.
    expect(admitted.length * costOf(9, 1_000)).toBeLessThanOrEqual(budget.limitMicros);
    expect(mock.requests).toHaveLength(admitted.length);
    for (const { error } of refused) {
      expect(error).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
      // Named by scope and period (this budget has no name), with what is left; the id travels as a header.
      expect(error!.message).toMatch(/The key's lifetime budget \(\$[\d.]+ in total\) has \$[\d.]+ left.*may cost up to \$[\d.]+\. It does not renew/);
      expect(error!.headers?.get('x-keyward-budget-id')).toBe(budget.id);
    }

    // Every reservation was settled to the real cost: nothing stays reserved.
    const usage = await limiter.usage(world.org.id, budget.id, 'lifetime');
    expect(usage).toEqual({ spentMicros: admitted.length * costOf(9, 7), reservedMicros: 0, reservations: 0 });
    expect(usage.spentMicros).toBeLessThanOrEqual(budget.limitMicros);

    const refusedEvent = await eventFor(collector, refused[0].requestId);
    expect(refusedEvent).toMatchObject({ decision: 'budget_exceeded', errorCode: 'budget_exceeded', status: 429, costMicros: 0 });
    expect(refusedEvent.tags).toContain(`budget:${budget.id}`);
    const admittedEvent = await eventFor(collector, admitted[0].requestId);
    expect(admittedEvent).toMatchObject({ decision: 'allowed', status: 200, costMicros: costOf(9, 7) });
  });

  it('refuses a request over budget in Anthropic’s own error format', async () => {
    const anthropicCredential = await world.credential('anthropic', mock.url);
    const tiny: BudgetConfig = { ...budget, id: uuidv7(), limitMicros: 1, scope: { kind: 'org', id: world.org.id } };
    dp.source!.publish({
      ...snapshot([tiny], []),
      credentials: { [credential.config.id]: credential.config, [anthropicCredential.config.id]: anthropicCredential.config },
    });
    const client = new Anthropic({ apiKey: freeKey.secret, baseURL: dp.url, maxRetries: 0 });
    const error = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(mock.requests).toHaveLength(0);
  });

  it('describes the tightest rate limit in OpenAI’s x-ratelimit headers on every answer', async () => {
    const { response } = await openai(limitedKey)
      .chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(?:\.\d+)?(?:ms|s)$/);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    const remainingTokens = Number(response.headers.get('x-ratelimit-remaining-tokens'));
    // The prompt estimate plus max_tokens was charged.
    expect(remainingTokens).toBeLessThanOrEqual(100_000 - 100);
    expect(remainingTokens).toBeGreaterThan(100_000 - 200);
    expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+(?:\.\d+)?(?:ms|s)$/);
  });

  it('puts the headers on streamed answers too, before the first byte', async () => {
    const { data: stream, response } = await openai(limitedKey)
      .chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    for await (const _chunk of stream);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });

  it('answers 429 with Retry-After once the requests per minute are used, and records rate_limited', async () => {
    const client = openai(limitedKey);
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', type: 'rate_limit_exceeded' });
    const retryAfter = Number(error.headers?.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(mock.requests).toHaveLength(3);
    const event = await eventFor(collector, error.headers?.get('x-request-id') ?? null);
    expect(event).toMatchObject({ decision: 'rate_limited', errorCode: 'rate_limited', status: 429 });
  });

  it('sends no rate-limit headers where no rate limit applies', async () => {
    const { response } = await openai(freeKey)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });

  it('releases the reservation of a request the provider refused, charging nothing', async () => {
    const client = openai(budgetKey);
    await client.chat.completions
      .create(
        { model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-mock-behaviour': '{"error":{"status":500}}' } },
      )
      .catch(() => undefined);
    await vi.waitFor(async () =>
      expect(await limiter.usage(world.org.id, budget.id, 'lifetime')).toEqual({ spentMicros: 0, reservedMicros: 0, reservations: 0 }),
    );
  });

  it('keeps every secret out of the logs', () => {
    expectNoSecretsIn(dp.logs, world.secrets);
  });
});
