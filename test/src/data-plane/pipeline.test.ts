import Anthropic from '@anthropic-ai/sdk';
import { GatewayError, type EnforcementContext, type EnforcementOutcome, type EnforcementStep } from '@keyward/data-plane';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

describe('the request pipeline', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let limitedKey: TestKey;
  const settled: { model: string; outcome: EnforcementOutcome }[] = [];

  /** A stand-in for the limits engineer's step: one key is always over its rate limit. */
  const rateLimit: EnforcementStep = {
    name: 'rate-limit',
    before: (ctx) =>
      ctx.key.id === limitedKey.config.id
        ? { action: 'deny', decision: 'rate_limited', error: new GatewayError('rate_limited', 429, 'Rate limit reached for this key.') }
        : undefined,
    after: (ctx, outcome) => void settled.push({ model: ctx.model, outcome }),
  };
  /** A stand-in for a redacting policy. */
  const redact: EnforcementStep = {
    name: 'redact',
    before(ctx: EnforcementContext) {
      const text = JSON.stringify(ctx.body);
      if (!text.includes('555-0100')) return;
      ctx.body = JSON.parse(text.replaceAll('555-0100', '[PHONE]'));
      ctx.decision = 'redacted';
      ctx.tags.push('pii:phone');
    },
  };

  beforeAll(async () => {
    world = await createTestWorld({ contentCapture: true });
    mock = await startMockProvider();
    collector = await startEventCollector();
    const credentials = [await world.credential('openai', `${mock.url}/v1`), await world.credential('anthropic', mock.url)];
    key = world.key();
    limitedKey = world.key();
    dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({ keys: [key, limitedKey], credentials }),
      eventsUrl: collector.eventsUrl,
      enforcement: [rateLimit, redact],
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => {
    mock.reset();
    settled.length = 0;
  });

  it('answers an enforcement denial in the API’s format and records its decision', async () => {
    const client = new Anthropic({ apiKey: limitedKey.secret, baseURL: dp.url, maxRetries: 0 });
    const err = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => {
        throw new Error('the request should have been denied');
      },
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    );
    expect(err.status).toBe(429);
    expect(err.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached for this key.' } });
    expect(mock.requests).toHaveLength(0);
    const event = await eventFor(collector, err.headers?.get('x-request-id') ?? null);
    expect(event).toMatchObject({ decision: 'rate_limited', errorCode: 'rate_limited', status: 429 });
    expect(settled).toEqual([{ model: 'claude-haiku-4-5', outcome: { status: 429, usage: null, costMicros: 0 } }]);
  });

  it('sends a redacted body upstream, records the decision and tags, and settles with the final usage', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'call me at 555-0100' }] })
      .withResponse();
    expect(JSON.stringify(mock.requests[0].body)).toContain('[PHONE]');
    expect(JSON.stringify(mock.requests[0].body)).not.toContain('555-0100');
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ decision: 'redacted', tags: ['pii:phone'] });
    expect(settled[0].outcome).toMatchObject({ status: 200, usage: { inputTokens: 12, outputTokens: 7, cachedInputTokens: 0 } });
    expect(settled[0].outcome.costMicros).toBe(event.costMicros);
  });

  it('captures prompt and completion text when the organization turned content capture on', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'say hello' },
        ],
        stream: true,
      })
      .withResponse();
    for await (const _chunk of stream);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event.content).toEqual({
      request: 'be brief\nsay hello',
      response: 'Hello from the mock provider.',
      messages: [
        { role: 'system', text: 'be brief', toolCalls: [], images: 0 },
        { role: 'user', text: 'say hello', toolCalls: [], images: 0 },
        { role: 'assistant', text: 'Hello from the mock provider.', toolCalls: [], images: 0 },
      ],
    });
  });

  it('exposes request, latency, time-to-first-token, stream, upstream, config and backlog metrics', async () => {
    const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-mock-behaviour': '{"error":{"status":500}}' } })
      .catch(() => undefined);
    const res = await fetch(`${dp.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/keyward_dp_requests_total\{api="openai",endpoint="chat.completions",status="200"\} [1-9]/);
    expect(text).toMatch(/keyward_dp_request_duration_seconds_bucket\{le="[^"]+",api="openai",endpoint="chat.completions",stream="false"\}/);
    expect(text).toMatch(/keyward_dp_time_to_first_token_seconds_count\{api="openai",endpoint="chat.completions"\} [1-9]/);
    expect(text).toMatch(/keyward_dp_upstream_errors_total\{provider="openai",code="upstream_error"\} 1/);
    expect(text).toMatch(/^keyward_dp_active_streams 0$/m);
    expect(text).toMatch(/^keyward_dp_config_version 1$/m);
    expect(text).toMatch(/^keyward_dp_event_backlog \d+$/m);
  });

  it('serves with the native uWebSockets.js binding and says so in the log', () => {
    expect(dp.node.server).toBe('native');
    expect(dp.logs.some((l) => l.includes('uWebSockets.js native binding loaded'))).toBe(true);
  });

  it('writes no secret to any log line', () => {
    expectNoSecretsIn(dp.logs, world.secrets);
  });

  it('answers health checks', async () => {
    const res = await fetch(`${dp.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('passes a Gemini stream without alt=sse through as a JSON array and reads usage from its end', async () => {
    const gemini = await world.credential('gemini', mock.url);
    dp.source!.publish({ ...world.snapshot({ keys: [key], credentials: [gemini], version: 2 }) });
    const res = await fetch(`${dp.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key.secret, 'content-type': 'application/json', 'x-mock-behaviour': '{"usage":{"inputTokens":5,"outputTokens":4}}' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    const chunks = (await res.json()) as unknown[];
    expect(chunks.length).toBe(3);
    const event = await eventFor(collector, res.headers.get('x-request-id'));
    expect(event).toMatchObject({ endpoint: 'streamGenerateContent', stream: true, inputTokens: 5, outputTokens: 4 });
    await vi.waitFor(() => expect(dp.node.readiness().version).toBe(2));
  });
});
