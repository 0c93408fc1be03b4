import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { failure } from './support/failure.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

// The SDK reads these itself (as it would from the data plane's environment): export every 50 ms,
// and send the collector's token with every export.
process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-collector-token=collector-secret';

const SERVER = 2;
const CLIENT = 3;
const PROMPT = 'tell me about the Andromeda galaxy';
const COMPLETION = 'Andromeda is about 2.5 million light years away.';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Runs the built data plane in a process of its own, sends it one request (with a traceparent)
 * and stops it, then lists the OpenTelemetry files Node loaded (the packages are CommonJS, so
 * each one loaded is in the require cache, imported or required).
 */
const LOADED_OTEL_MODULES = `
import { createRequire } from 'node:module';
import { createManualConfigSource, loadDataPlaneConfig, startDataPlane } from '@keyward/data-plane';
const node = await startDataPlane(loadDataPlaneConfig(process.env), {
  configSource: createManualConfigSource('test'), heartbeat: false, spendReconcile: false, eventFlushTimeoutMs: 100,
});
const answer = await fetch(node.url + '/v1/chat/completions', {
  method: 'POST', body: '{}', headers: { 'content-type': 'application/json', traceparent: '00-${'a'.repeat(32)}-${'b'.repeat(16)}-01' },
});
await node.close();
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('@opentelemetry'));
console.log(JSON.stringify({ status: answer.status, loaded }));
`;

/** `@opentelemetry/<name>` of a file inside that package. */
const packageOf = (file: string) => /@opentelemetry\/[^/]+/.exec(file.slice(file.lastIndexOf('/node_modules/')))![0];

async function otelModulesLoaded(world: TestWorld, env: Record<string, string>): Promise<{ status: number; loaded: string[] }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'keyward-dp-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', LOADED_OTEL_MODULES], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: {
        PATH: process.env.PATH,
        KEYWARD_DP_PORT: '0',
        KEYWARD_DP_HOST: '127.0.0.1',
        KEYWARD_CONTROL_PLANE_URL: 'http://127.0.0.1:9',
        KEYWARD_NODE_TOKEN: world.nodeToken,
        KEYWARD_DP_STATE_DIR: stateDir,
        KEYWARD_KMS: world.kmsSpec,
        KEYWARD_KEY_PEPPER: world.pepper.toString('base64'),
        LOG_LEVEL: 'silent',
        ...env,
      },
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { status: number; loaded: string[] };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The span of `traceId` named `name`, once the receiver has it. */
function spanOf(receiver: OtlpReceiver, traceId: string, name: string | RegExp): Promise<ReceivedSpan> {
  return vi.waitFor(
    () => {
      const span = receiver.span(traceId, name);
      if (!span) throw new Error(`no span ${String(name)} in trace ${traceId} yet`);
      return span;
    },
    { timeout: 5_000, interval: 25 },
  );
}

describe('OpenTelemetry traces from the data plane', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let receiver: OtlpReceiver;
  let dp: TestDataPlane;
  let key: TestKey;
  let credential: TestCredential;
  let client: OpenAI;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider({ behaviour: { text: COMPLETION } });
    collector = await startEventCollector();
    receiver = await startOtlpReceiver();
    credential = await world.credential('openai', `${mock.url}/v1`);
    const others = [await world.credential('anthropic', mock.url), await world.credential('gemini', mock.url)];
    key = world.key();
    const guard = testPolicy(world, {
      name: 'No launch codes',
      rules: [{ id: 'launch-codes', when: { prompt: { contains: 'launch code' } }, action: { type: 'block', status: 422, message: 'Not that.' } }],
    });
    dp = await startTestDataPlane({
      world,
      snapshot: withPolicies(world.snapshot({ keys: [key], credentials: [credential, ...others] }), [guard]),
      eventsUrl: collector.eventsUrl,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'keyward-gateway-test' },
    });
    client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
    await receiver?.close();
  });

  beforeEach(() => mock.reset());

  it('continues the agent’s trace: a SERVER span under its span, a CLIENT span “chat {model}” under that, whose context the provider receives', async () => {
    const agentTrace = hex(16);
    const agentSpan = hex(8);
    const { data, response } = await client.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], max_tokens: 64, temperature: 0.2, top_p: 0.9 },
        {
          headers: {
            traceparent: `00-${agentTrace}-${agentSpan}-01`,
            tracestate: 'agent=abc',
            [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 120, outputTokens: 30 } }),
          },
        },
      )
      .withResponse();
    expect(data.choices[0].message.content).toBe(COMPLETION);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event.traceId).toBe(agentTrace);

    const server = await spanOf(receiver, agentTrace, 'POST /v1/chat/completions');
    const upstream = await spanOf(receiver, agentTrace, 'chat gpt-4o-mini');
    expect(server).toMatchObject({ kind: SERVER, parentSpanId: agentSpan, serviceName: 'keyward-gateway-test' });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'keyward.key.id': key.config.id,
      'keyward.org.id': world.org.id,
      'keyward.decision': 'allowed',
      'keyward.request.id': event.requestId,
    });
    expect(upstream).toMatchObject({ kind: CLIENT, parentSpanId: server.spanId });
    expect(upstream.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'keyward.key.id': key.config.id,
      'keyward.credential.id': credential.config.id,
      'keyward.decision': 'allowed',
      'keyward.cost.micros': event.costMicros,
      'keyward.attempt.count': 1,
      'keyward.attempt.outcome': 'success',
    });
    expect(upstream.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(upstream.attributes).not.toHaveProperty('error.type');
    expect(upstream.startMs).toBeGreaterThanOrEqual(server.startMs);
    expect(upstream.endMs).toBeLessThanOrEqual(server.endMs);

    // The provider saw the CLIENT span as its parent, and the agent's trace state.
    expect(mock.requests[0].headers.traceparent).toBe(`00-${agentTrace}-${upstream.spanId}-01`);
    expect(mock.requests[0].headers.tracestate).toBe('agent=abc');

    // Neither the prompt, the completion nor any secret is in a span; the collector got its header.
    const exported = JSON.stringify(receiver.spans);
    for (const text of [PROMPT, COMPLETION, key.secret, credential.plaintext]) expect(exported).not.toContain(text);
    expect(receiver.requests[0]['x-collector-token']).toBe('collector-secret');
  });

  it('starts a trace of its own for a streamed chat without a traceparent, with the usage and finish reason read from the stream', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(COMPLETION);
    const event = await eventFor(collector, stream.response.headers.get('x-request-id'));
    expect(event.traceId).toMatch(/^[0-9a-f]{32}$/);

    const server = await spanOf(receiver, event.traceId!, 'POST /v1/chat/completions');
    const upstream = await spanOf(receiver, event.traceId!, 'chat gpt-4o-mini');
    expect(server.parentSpanId).toBeNull();
    expect(upstream.attributes).toMatchObject({
      'keyward.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': event.inputTokens,
      'gen_ai.usage.output_tokens': event.outputTokens,
    });
    expect(event.outputTokens).toBeGreaterThan(0);
    expect(upstream.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(mock.requests[0].headers.traceparent).toBe(`00-${event.traceId}-${upstream.spanId}-01`);
  });

  it('names the provider and reads the answer’s id, model and finish reason for Anthropic’s streamed Messages and Gemini’s generateContent', async () => {
    const anthropic = new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
    const { data: stream, response } = await anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: PROMPT }], stream: true })
      .withResponse();
    for await (const _event of stream) void _event;
    const claude = await eventFor(collector, response.headers.get('x-request-id'));
    const messages = await spanOf(receiver, claude.traceId!, 'chat claude-haiku-4-5');
    expect(messages.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.response.model': 'claude-haiku-4-5',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': claude.inputTokens,
      'gen_ai.usage.output_tokens': claude.outputTokens,
      'keyward.stream': true,
    });
    expect(messages.attributes['gen_ai.response.id']).toMatch(/^msg_/);

    const gemini = new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
    const result = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: PROMPT, config: { maxOutputTokens: 200, topK: 20 } });
    const flash = await eventFor(collector, result.sdkHttpResponse?.headers?.['x-request-id'] ?? null);
    expect((await spanOf(receiver, flash.traceId!, /^POST /)).attributes['http.route']).toBe('/v1beta/models/:modelMethod');
    const generate = await spanOf(receiver, flash.traceId!, 'generate_content gemini-2.5-flash');
    expect(generate.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.system': 'gemini',
      'gen_ai.request.max_tokens': 200,
      'gen_ai.request.top_k': 20,
      'gen_ai.response.model': 'gemini-2.5-flash',
      'gen_ai.response.id': result.responseId,
      'gen_ai.response.finish_reasons': ['STOP'],
    });
  });

  it('marks a provider error on both spans with error.type and an error status', async () => {
    const err = await failure(
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ error: { status: 500 } }) } },
      ),
    );
    expect(err.status).toBe(500);
    const event = await eventFor(collector, err.headers.get('x-request-id'));
    const server = await spanOf(receiver, event.traceId!, 'POST /v1/chat/completions');
    const upstream = await spanOf(receiver, event.traceId!, 'chat gpt-4o-mini');
    expect(upstream.attributes).toMatchObject({ 'error.type': event.errorCode, 'http.response.status_code': 500, 'keyward.attempt.outcome': event.errorCode });
    expect(upstream.status.code).toBe(2);
    expect(server.attributes).toMatchObject({ 'error.type': event.errorCode, 'keyward.decision': 'error' });
    expect(server.status.code).toBe(2);
  });

  it('records a blocked request on its SERVER span, with the decision and the rule that matched, and calls no provider', async () => {
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the launch code is 0000' }] }));
    expect(err.status).toBe(422);
    expect(mock.requests).toHaveLength(0);
    const event = await eventFor(collector, err.headers.get('x-request-id'));
    const server = await spanOf(receiver, event.traceId!, 'POST /v1/chat/completions');
    expect(server.attributes).toMatchObject({
      'keyward.decision': 'blocked',
      'error.type': 'blocked',
      'http.response.status_code': 422,
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    expect(server.attributes['keyward.policy.matches']).toEqual([`${event.policyMatches![0].policyId}@1/launch-codes:block`]);
    // Give a CLIENT span time to arrive, had there been one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.spans.filter((s) => s.traceId === event.traceId && s.kind === CLIENT)).toEqual([]);
  });
});

describe('sampling', () => {
  it('follows OTEL_TRACES_SAMPLER: sampled out, nothing is exported, yet the provider and the event get the trace id', async () => {
    const world = await createTestWorld();
    const mock = await startMockProvider();
    const collector = await startEventCollector();
    const receiver = await startOtlpReceiver();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    const key = world.key();
    // The SDK reads the sampler when the node builds its tracer.
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    const dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({ keys: [key], credentials: [credential] }),
      eventsUrl: collector.eventsUrl,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    }).finally(() => delete process.env.OTEL_TRACES_SAMPLER);
    try {
      const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
      const { response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(mock.requests[0].headers.traceparent).toMatch(new RegExp(`^00-${event.traceId}-[0-9a-f]{16}-00$`));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.spans).toEqual([]);
    } finally {
      await dp.close();
      await mock.close();
      await collector.close();
      await receiver.close();
    }
  });
});

describe('a collector that is down or stuck', () => {
  it('neither fails nor slows requests, and does not hold up the node’s stop', async () => {
    const world = await createTestWorld();
    const mock = await startMockProvider();
    const stuck = await startOtlpReceiver('hang');
    const credential = await world.credential('openai', `${mock.url}/v1`);
    const key = world.key();
    const snapshot = world.snapshot({ keys: [key], credentials: [credential] });
    const timings: Record<string, number[]> = {};
    for (const [name, endpoint] of [
      ['stuck', stuck.url],
      ['down', 'http://127.0.0.1:9'],
    ] as const) {
      const dp = await startTestDataPlane({ world, snapshot, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
      const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
      timings[name] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
        timings[name].push(performance.now() - started);
        expect(answer.choices[0].message.content).toBeTruthy();
        // Let the batch processor try an export between requests.
        if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 60));
      }
      const stopping = performance.now();
      await dp.close();
      expect(performance.now() - stopping).toBeLessThan(5_000);
    }
    expect(stuck.requests.length).toBeGreaterThan(0);
    for (const list of Object.values(timings)) expect(Math.max(...list)).toBeLessThan(1_000);
    await stuck.close();
    await mock.close();
  }, 60_000);
});

describe('without an OTLP endpoint', () => {
  it('loads no OpenTelemetry SDK, exporter or propagator, at start or for a request (the built process; with the endpoint set, they are loaded)', async () => {
    const world = await createTestWorld();
    const off = await otelModulesLoaded(world, {});
    expect(off.status).toBe(503);
    // prom-client's CPU metric requires the API package (for exemplars) whatever Keyward does;
    // no SDK, exporter, propagator or resource module is loaded.
    const beyondApi = (loaded: string[]) => [...new Set(loaded.filter((file) => !file.includes('/@opentelemetry/api/')).map(packageOf))];
    expect(beyondApi(off.loaded)).toEqual([]);
    const on = await otelModulesLoaded(world, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on.status).toBe(503);
    expect(beyondApi(on.loaded)).toEqual(
      expect.arrayContaining(['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/core', '@opentelemetry/resources']),
    );
  }, 60_000);

  it('passes the agent’s traceparent to the provider untouched and puts its trace id on the event', async () => {
    const world = await createTestWorld();
    const mock = await startMockProvider();
    const collector = await startEventCollector();
    const credential = await world.credential('openai', `${mock.url}/v1`);
    const key = world.key();
    const dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl });
    try {
      const client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
      const traceparent = `00-${hex(16)}-${hex(8)}-01`;
      const traced = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { traceparent } })
        .withResponse();
      expect(mock.requests[0].headers.traceparent).toBe(traceparent);
      expect((await eventFor(collector, traced.response.headers.get('x-request-id'))).traceId).toBe(traceparent.split('-')[1]);

      const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(mock.requests[1].headers.traceparent).toBeUndefined();
      expect((await eventFor(collector, plain.response.headers.get('x-request-id'))).traceId).toBeNull();
    } finally {
      await dp.close();
      await mock.close();
      await collector.close();
    }
  });
});
