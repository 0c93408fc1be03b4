import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { RoleConfig, RouteConfig } from '@keyward/shared';
import { uuidv7 } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { chatStreamFailure, failure } from './support/failure.js';
import { createTestWorld, routeTarget as target, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routes: fallback, retries, circuit breakers and roles through the official clients', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  const keys: Record<string, TestKey> = {};
  const routes: Record<string, RouteConfig> = {};
  let openaiLive: TestCredential;
  let openaiDead: TestCredential;
  let anthropicLive: TestCredential;
  let geminiLive: TestCredential;
  const openai = (key: TestKey) => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = (key: TestKey) => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = (key: TestKey) => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
  /** The models the mock provider was asked for, in order. */
  const modelsAsked = () => mock.requests.map((r) => (r.body as { model?: string } | null)?.model ?? r.path.split('/').at(-1)!.split(':')[0]);

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    openaiLive = await world.credential('openai', `${mock.url}/v1`);
    openaiDead = await world.credential('openai', 'http://127.0.0.1:9/v1');
    anthropicLive = await world.credential('anthropic', mock.url);
    geminiLive = await world.credential('gemini', mock.url);
    for (const name of ['refused', 'anthropic', 'gemini', 'midStream', 'breaker', 'allOpen', 'role', 'rules', 'unrouted']) keys[name] = world.key();
    const bound = (name: string) => [{ kind: 'key' as const, id: keys[name].config.id }];
    routes.refused = world.route(
      { match: ['smart'], targets: [target(openaiDead, 'gpt-4o', { maxRetries: 1 }), target(openaiLive, 'gpt-4o-mini')] },
      bound('refused'),
    );
    routes.anthropic = world.route(
      { match: ['claude-*'], targets: [target(anthropicLive, 'claude-busy', { maxRetries: 1 }), target(anthropicLive, 'claude-haiku-4-5')] },
      bound('anthropic'),
    );
    routes.gemini = world.route(
      { match: ['fast'], targets: [target(geminiLive, 'gemini-slow', { timeoutMs: 300 }), target(geminiLive, 'gemini-2.5-flash')] },
      bound('gemini'),
    );
    routes.midStream = world.route(
      { match: ['gpt-4o-mini'], targets: [target(openaiLive, 'gpt-stalls', { maxRetries: 2 }), target(openaiLive, 'gpt-4o-mini')] },
      bound('midStream'),
    );
    routes.breaker = world.route(
      {
        match: ['cheap'],
        breaker: { consecutiveFailures: 2, errorRatePercent: 100, windowSeconds: 60, minRequests: 100, openSeconds: 30 },
        targets: [target(openaiLive, 'gpt-broken'), target(openaiLive, 'gpt-4o-mini')],
      },
      bound('breaker'),
    );
    routes.allOpen = world.route(
      {
        match: ['lonely'],
        breaker: { consecutiveFailures: 1, errorRatePercent: 100, windowSeconds: 60, minRequests: 100, openSeconds: 20 },
        targets: [target(openaiLive, 'gpt-down')],
      },
      bound('allOpen'),
    );
    routes.roleOpenAI = world.route({ match: ['reviewer-openai'], targets: [target(openaiLive, 'gpt-4o-mini')] }, []);
    routes.roleAnthropic = world.route({ match: ['reviewer-anthropic'], targets: [target(anthropicLive, 'claude-haiku-4-5')] }, []);
    routes.roleGemini = world.route({ match: ['reviewer-gemini'], targets: [target(geminiLive, 'gemini-2.5-flash')] }, []);
    routes.rules = world.route(
      {
        match: ['auto'],
        strategy: 'fallback',
        rules: [{ when: { header: { name: 'x-keyward-tier', eq: 'economy' } }, strategy: 'lowest_cost' }],
        targets: [target(openaiLive, 'gpt-4o'), target(openaiLive, 'gpt-4o-mini')],
      },
      bound('rules'),
    );
    const role = (name: string, route: RouteConfig): RoleConfig => ({
      id: uuidv7(),
      orgId: world.org.id,
      name,
      systemPrompt: 'You review code for security problems.',
      temperature: 0.2,
      maxTokens: 321,
      routeId: route.id,
    });
    dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({
        keys: Object.values(keys),
        credentials: [openaiLive, openaiDead, anthropicLive, geminiLive],
        routes: Object.values(routes),
        roles: [role('reviewer', routes.roleOpenAI), role('claude-reviewer', routes.roleAnthropic), role('gemini-reviewer', routes.roleGemini)],
      }),
      eventsUrl: collector.eventsUrl,
      env: { KEYWARD_UPSTREAM_IDLE_TIMEOUT_MS: '500' },
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  it('falls back to the next target when the first refuses connections (retrying it first), and records every attempt', async () => {
    const { data, response } = await openai(keys.refused).chat.completions.create({ model: 'smart', messages: hi }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the mock provider.');
    expect(modelsAsked()).toEqual(['gpt-4o-mini']);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({
      status: 200,
      routeId: routes.refused.id,
      credentialId: openaiLive.config.id,
      model: 'gpt-4o-mini',
      costMicros: expect.any(Number),
    });
    expect(event.attempts!.map((a) => [a.credentialId, a.model, a.outcome, a.status])).toEqual([
      [openaiDead.config.id, 'gpt-4o', 'connect_error', null],
      [openaiDead.config.id, 'gpt-4o', 'connect_error', null],
      [openaiLive.config.id, 'gpt-4o-mini', 'answered', 200],
    ]);
  });

  it('retries a 429 after its Retry-After, then falls back (Anthropic client)', async () => {
    mock.setBehaviour({ error: { status: 429, retryAfterSeconds: 1 } }, { model: 'claude-busy' });
    const started = Date.now();
    const { data, response } = await anthropic(keys.anthropic).messages.create({ model: 'claude-team-default', max_tokens: 20, messages: hi }).withResponse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock provider.' });
    expect(modelsAsked()).toEqual(['claude-busy', 'claude-busy', 'claude-haiku-4-5']);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event.attempts!.map((a) => [a.outcome, a.status])).toEqual([
      ['rate_limited', 429],
      ['rate_limited', 429],
      ['answered', 200],
    ]);
    expect(event.model).toBe('claude-haiku-4-5');
  });

  it('falls back when a target stalls before its first byte (Gemini client)', async () => {
    mock.setBehaviour({ firstByteDelayMs: 3_000 }, { model: 'gemini-slow' });
    const answer = await gemini(keys.gemini).models.generateContent({ model: 'fast', contents: 'hi' });
    expect(answer.text).toBe('Hello from the mock provider.');
    expect(modelsAsked()).toEqual(['gemini-slow', 'gemini-2.5-flash']);
    const event = await vi.waitFor(() => {
      const found = collector.events.find((e) => e.routeId === routes.gemini.id);
      if (!found) throw new Error('no event yet');
      return found;
    });
    expect(event.attempts!.map((a) => a.outcome)).toEqual(['timeout', 'answered']);
    expect(event.attempts![0].latencyMs).toBeGreaterThanOrEqual(290);
    expect(event.attempts![0].latencyMs).toBeLessThan(2_000);
  });

  it('never retries once the stream began: a stall mid-stream ends it with the provider-format error, recorded with the attempt', async () => {
    mock.setBehaviour({ chunks: 5, stallAfterChunks: 2 }, { model: 'gpt-stalls' });
    const { data: stream, response } = await openai(keys.midStream)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hi, stream: true })
      .withResponse();
    const { text, err } = await chatStreamFailure(stream);
    expect(text.length).toBeGreaterThan(0);
    expect(err.error).toMatchObject({ code: 'upstream_stalled' });
    expect(modelsAsked()).toEqual(['gpt-stalls']);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ status: 200, errorCode: 'upstream_stalled', routeId: routes.midStream.id });
    expect(event.attempts!.map((a) => [a.model, a.outcome])).toEqual([['gpt-stalls', 'failed_mid_stream']]);
  });

  it('opens a target’s circuit after repeated 500s, skips it while open, and shows it in /metrics', async () => {
    mock.setBehaviour({ error: { status: 500 } }, { model: 'gpt-broken' });
    const outcomes: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await openai(keys.breaker).chat.completions.create({ model: 'cheap', messages: hi }).withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      outcomes.push(event.attempts!.map((a) => a.outcome));
    }
    expect(outcomes).toEqual([
      ['server_error', 'answered'],
      ['server_error', 'answered'],
      ['circuit_open', 'answered'],
    ]);
    expect(modelsAsked()).toEqual(['gpt-broken', 'gpt-4o-mini', 'gpt-broken', 'gpt-4o-mini', 'gpt-4o-mini']);
    const metrics = await (await fetch(`${dp.url}/metrics`)).text();
    const broken = `${openaiLive.config.id}/gpt-broken`;
    expect(metrics).toContain(`keyward_dp_target_circuit_state{target="${broken}"} 2`);
    expect(metrics).toContain(`keyward_dp_target_attempts_total{target="${broken}",outcome="server_error"} 2`);
    expect(metrics).toMatch(new RegExp(`keyward_dp_target_latency_seconds\\{target="${openaiLive.config.id}/gpt-4o-mini",quantile="0.5"\\} [0-9.e-]+`));
  });

  it('answers 503 in the API’s format with Retry-After when every target’s circuit is open', async () => {
    mock.setBehaviour({ error: { status: 500, message: 'provider down' } }, { model: 'gpt-down' });
    const first = await failure<InstanceType<typeof OpenAI.APIError>>(openai(keys.allOpen).chat.completions.create({ model: 'lonely', messages: hi }));
    expect(first.status).toBe(500);
    expect(first.message).toContain('provider down');
    const err = await failure<InstanceType<typeof OpenAI.APIError>>(openai(keys.allOpen).chat.completions.create({ model: 'lonely', messages: hi }));
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ code: 'no_healthy_target', type: expect.any(String) });
    const retryAfter = Number(err.headers!.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(mock.requests).toHaveLength(1);
    const event = await eventFor(collector, err.headers!.get('x-request-id'));
    expect(event).toMatchObject({ status: 503, errorCode: 'no_healthy_target', routeId: routes.allOpen.id });
    expect(event.attempts!.map((a) => a.outcome)).toEqual(['circuit_open']);
  });

  it('applies a role’s system prompt and defaults through each API family, and sends it along its route', async () => {
    await openai(keys.role).chat.completions.create({ model: 'role:reviewer', messages: hi });
    await anthropic(keys.role).messages.create({ model: 'role:claude-reviewer', max_tokens: 50, system: 'Be brief.', messages: hi });
    await gemini(keys.role).models.generateContent({ model: 'role:gemini-reviewer', contents: 'hi', config: { temperature: 0.9 } });
    const [chat, messages, generate] = mock.requests.map((r) => r.body as Record<string, any>);
    expect(chat).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_completion_tokens: 321,
      messages: [{ role: 'system', content: 'You review code for security problems.' }, ...hi],
    });
    expect(messages).toMatchObject({
      model: 'claude-haiku-4-5',
      temperature: 0.2,
      max_tokens: 50,
      system: 'You review code for security problems.\n\nBe brief.',
    });
    expect(mock.requests[2].path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(generate.systemInstruction.parts[0]).toEqual({ text: 'You review code for security problems.' });
    expect(generate.generationConfig).toMatchObject({ temperature: 0.9, maxOutputTokens: 321 });
    const missing = await failure<InstanceType<typeof OpenAI.APIError>>(openai(keys.role).chat.completions.create({ model: 'role:nobody', messages: hi }));
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('No role named "nobody"');
  });

  it('chooses the strategy by a policy-language condition: the cheapest target for economy requests, the route’s order otherwise', async () => {
    await openai(keys.rules).chat.completions.create({ model: 'auto', messages: hi });
    await openai(keys.rules).chat.completions.create({ model: 'auto', messages: hi }, { headers: { 'x-keyward-tier': 'economy' } });
    expect(modelsAsked()).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('leaves a key without a route as it was: the model goes to its credentials unchanged, with its attempt recorded', async () => {
    const { response } = await openai(keys.unrouted).chat.completions.create({ model: 'gpt-4o-mini', messages: hi }).withResponse();
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ routeId: null, model: 'gpt-4o-mini', status: 200 });
    expect(event.attempts!.map((a) => a.outcome)).toEqual(['answered']);
  });
});
