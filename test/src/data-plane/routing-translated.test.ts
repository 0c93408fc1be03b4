import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { RouteConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockBehaviour, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { chatStreamFailure, failure } from './support/failure.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, routeTarget as target, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

const hi = [{ role: 'user' as const, content: 'hi' }];
const behaviour = (b: MockBehaviour) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const EMAIL = 'jane.doe@example.com';
/** What the mock provider's Anthropic answer meters: its tokens at claude-haiku-4-5's $1 and $5 per million. */
const CLAUDE_METERED = { model: 'claude-haiku-4-5', inputTokens: 12, outputTokens: 7, costMicros: 12 * 1 + 7 * 5 };

describe('routes across API families: the agent’s official client, a target of another family, translated both ways', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  const routes: Record<string, RouteConfig> = {};
  let openaiLive: TestCredential;
  let openaiDead: TestCredential;
  let anthropicLive: TestCredential;
  let geminiLive: TestCredential;
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = () => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    openaiLive = await world.credential('openai', `${mock.url}/v1`);
    openaiDead = await world.credential('openai', 'http://127.0.0.1:9/v1');
    anthropicLive = await world.credential('anthropic', mock.url);
    geminiLive = await world.credential('gemini', mock.url);
    key = world.key();
    routes.claude = world.route({ match: ['via-claude'], targets: [target(anthropicLive, 'claude-haiku-4-5')] });
    routes.gemini = world.route({ match: ['via-gemini'], targets: [target(geminiLive, 'gemini-2.5-flash')] });
    routes.gpt = world.route({ match: ['via-gpt'], targets: [target(openaiLive, 'gpt-4o-mini')] });
    routes.mixed = world.route({ match: ['mixed'], targets: [target(openaiDead, 'gpt-4o'), target(anthropicLive, 'claude-haiku-4-5')] });
    const policy = testPolicy(world, {
      name: 'Contacts stay home',
      rules: [{ id: 'contacts', when: { prompt: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'], restore: true } }],
    });
    dp = await startTestDataPlane({
      world,
      snapshot: withPolicies(world.snapshot({ keys: [key], credentials: [openaiLive, openaiDead, anthropicLive, geminiLive], routes: Object.values(routes) }), [
        policy,
      ]),
      eventsUrl: collector.eventsUrl,
    });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('the openai client routed to an Anthropic credential', () => {
    it('answers a chat in the chat.completion shape; the event names the Anthropic target with its tokens and exact cost', async () => {
      const { data, response } = await openai().chat.completions.create({ model: 'via-claude', messages: hi }).withResponse();
      expect(data).toMatchObject({
        object: 'chat.completion',
        choices: [{ message: { role: 'assistant', content: 'Hello from the mock provider.' }, finish_reason: 'stop' }],
      });
      expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7 });
      expect(mock.requests).toHaveLength(1);
      expect(mock.requests[0]).toMatchObject({ path: '/v1/messages', body: { model: 'claude-haiku-4-5', max_tokens: 4096 } });
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({
        status: 200,
        routeId: routes.claude.id,
        credentialId: anthropicLive.config.id,
        ...CLAUDE_METERED,
      });
      expect(event.attempts!.map((a) => [a.credentialId, a.model, a.outcome, a.status])).toEqual([
        [anthropicLive.config.id, 'claude-haiku-4-5', 'answered', 200],
      ]);
    });

    it('streams chat.completion.chunk events, with the usage chunk only when asked for and the tokens metered either way', async () => {
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      const { data: stream, response } = await openai()
        .chat.completions.create({ model: 'via-claude', messages: hi, stream: true }, behaviour({ chunks: 3 }))
        .withResponse();
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from the mock provider.');
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !c.usage)).toBe(true);
      expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
      expect(await eventFor(collector, response.headers.get('x-request-id'))).toMatchObject(CLAUDE_METERED);

      const withUsage = await openai().chat.completions.create({ model: 'via-claude', messages: hi, stream: true, stream_options: { include_usage: true } });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of withUsage) usage = chunk.usage ?? usage;
      expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7 });
    });

    it('ends a stream Anthropic cuts before its last event with OpenAI’s error, recorded as failed mid-stream', async () => {
      const { data: stream, response } = await openai()
        .chat.completions.create({ model: 'via-claude', messages: hi, stream: true }, behaviour({ chunks: 5, failAfterChunks: 2, failWith: 'end' }))
        .withResponse();
      const { text, err } = await chatStreamFailure(stream);
      expect(text.length).toBeGreaterThan(0);
      expect(err.error).toMatchObject({ code: 'stream_interrupted' });
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ status: 200, errorCode: 'stream_interrupted', routeId: routes.claude.id });
      expect(event.attempts!.map((a) => [a.model, a.outcome])).toEqual([['claude-haiku-4-5', 'failed_mid_stream']]);
    });

    it('carries tools and brings the tool call back as an OpenAI tool_calls message', async () => {
      const completion = await openai().chat.completions.create(
        { model: 'via-claude', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [WEATHER_TOOL] },
        behaviour({ text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }),
      );
      expect(completion.choices[0].finish_reason).toBe('tool_calls');
      const call = completion.choices[0].message.tool_calls![0];
      expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
      expect(JSON.parse((call as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments)).toEqual({ city: 'Oslo' });
      expect(mock.requests[0].body).toMatchObject({ tools: [{ name: 'get_weather', input_schema: WEATHER_TOOL.function.parameters }] });
    });

    it('maps the provider’s error to OpenAI’s error shape with its status', async () => {
      mock.setBehaviour({ error: { status: 400, message: 'prompt is too long' } }, { model: 'claude-haiku-4-5' });
      const err = await failure<InstanceType<typeof OpenAI.APIError>>(openai().chat.completions.create({ model: 'via-claude', messages: hi }));
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.status).toBe(400);
      expect(err.message).toContain('prompt is too long');
      expect(err.error).toMatchObject({ message: expect.stringContaining('prompt is too long'), type: expect.any(String) });
      const event = await eventFor(collector, err.headers!.get('x-request-id'));
      expect(event).toMatchObject({ status: 400, model: 'claude-haiku-4-5' });
    });

    it('refuses a field Anthropic cannot carry with a 400 naming it, before anything goes upstream', async () => {
      const err = await failure<InstanceType<typeof OpenAI.APIError>>(
        openai().chat.completions.create({ model: 'via-claude', messages: hi, presence_penalty: 0.5 }),
      );
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ code: 'untranslatable' });
      expect(err.message).toContain('presence_penalty');
      expect(err.message).toContain('Anthropic');
      expect(mock.requests).toHaveLength(0);
    });

    it('restores a redacted address in the translated answer, the provider never seeing it', async () => {
      const answer = 'I wrote to [EMAIL_1].';
      const completion = await openai().chat.completions.create(
        { model: 'via-claude', messages: [{ role: 'user', content: `Write to ${EMAIL}.` }] },
        behaviour({ text: answer }),
      );
      expect(completion.choices[0].message.content).toBe(`I wrote to ${EMAIL}.`);
      const stream = await openai().chat.completions.create(
        { model: 'via-claude', messages: [{ role: 'user', content: `Write to ${EMAIL}.` }], stream: true },
        behaviour({ text: answer, chunks: 4 }),
      );
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe(`I wrote to ${EMAIL}.`);
      expect(mock.requests).toHaveLength(2);
      for (const request of mock.requests) expect(JSON.stringify(request.body)).not.toContain(EMAIL);
    });
  });

  describe('the openai client routed to a Gemini credential', () => {
    it('answers a chat and a stream from generateContent and streamGenerateContent?alt=sse', async () => {
      const completion = await openai().chat.completions.create({ model: 'via-gemini', messages: hi, max_tokens: 100 });
      expect(completion.choices[0].message.content).toBe('Hello from the mock provider.');
      const stream = await openai().chat.completions.create({ model: 'via-gemini', messages: hi, stream: true }, behaviour({ chunks: 3 }));
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Hello from the mock provider.');
      expect(mock.requests.map((r) => [r.path, r.query])).toEqual([
        ['/v1beta/models/gemini-2.5-flash:generateContent', {}],
        ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', { alt: 'sse' }],
      ]);
      expect(mock.requests[0].body).toMatchObject({ generationConfig: { maxOutputTokens: 100 } });
    });

    it('brings a Gemini function call back as a tool call, and refuses what Gemini cannot carry', async () => {
      const completion = await openai().chat.completions.create(
        { model: 'via-gemini', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [WEATHER_TOOL] },
        behaviour({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }),
      );
      const call = completion.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });
      const err = await failure<InstanceType<typeof OpenAI.APIError>>(
        openai().chat.completions.create({ model: 'via-gemini', messages: hi, tools: [WEATHER_TOOL], parallel_tool_calls: false }),
      );
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ code: 'untranslatable' });
      expect(mock.requests).toHaveLength(1);
    });
  });

  it('the Anthropic client routed to an OpenAI credential gets Messages answers and streams', async () => {
    const message = await anthropic().messages.create({ model: 'via-gpt', max_tokens: 64, system: 'Be brief.', messages: hi });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello from the mock provider.' }],
      stop_reason: 'end_turn',
    });
    expect(mock.requests[0]).toMatchObject({ path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_completion_tokens: 64 } });
    const stream = anthropic().messages.stream({ model: 'via-gpt', max_tokens: 64, messages: hi });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock provider.' });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const err = await failure<InstanceType<typeof Anthropic.APIError>>(
      anthropic().messages.create({ model: 'via-gpt', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: hi }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('extended thinking');
    expect(mock.requests).toHaveLength(2);
  });

  it('the Gemini client routed to an OpenAI credential gets generateContent answers and alt=sse streams', async () => {
    const answer = await gemini().models.generateContent({ model: 'via-gpt', contents: 'hi', config: { maxOutputTokens: 64 } });
    expect(answer.text).toBe('Hello from the mock provider.');
    let text = '';
    for await (const chunk of await gemini().models.generateContentStream({ model: 'via-gpt', contents: 'hi' })) text += chunk.text ?? '';
    expect(text).toBe('Hello from the mock provider.');
    expect(mock.requests.map((r) => [r.path, (r.body as { model: string }).model])).toEqual([
      ['/v1/chat/completions', 'gpt-4o-mini'],
      ['/v1/chat/completions', 'gpt-4o-mini'],
    ]);
    expect(mock.requests[0].body).toMatchObject({ max_completion_tokens: 64 });
  });

  it('the Anthropic client routed to a Gemini credential gets Messages answers and streams, through Chat Completions', async () => {
    const { data: message, response } = await anthropic().messages.create({ model: 'via-gemini', max_tokens: 64, messages: hi }).withResponse();
    expect(message).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello from the mock provider.' }] });
    expect(mock.requests[0]).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:generateContent', body: { generationConfig: { maxOutputTokens: 64 } } });
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ status: 200, routeId: routes.gemini.id, credentialId: geminiLive.config.id, model: 'gemini-2.5-flash' });
    expect(event.outputTokens).toBeGreaterThan(0);
    const final = await anthropic().messages.stream({ model: 'via-gemini', max_tokens: 64, messages: hi }).finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock provider.' });
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect([mock.requests[1].path, mock.requests[1].query]).toEqual(['/v1beta/models/gemini-2.5-flash:streamGenerateContent', { alt: 'sse' }]);
    const err = await failure<InstanceType<typeof Anthropic.APIError>>(
      anthropic().messages.create({ model: 'via-gemini', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: hi }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('cannot be translated to Gemini generateContent');
    expect(mock.requests).toHaveLength(2);
  });

  it('the Gemini client routed to an Anthropic credential gets generateContent answers and alt=sse streams, through Chat Completions', async () => {
    const answer = await gemini().models.generateContent({ model: 'via-claude', contents: 'hi', config: { maxOutputTokens: 64 } });
    expect(answer.text).toBe('Hello from the mock provider.');
    expect(answer.usageMetadata).toMatchObject({ promptTokenCount: 12, candidatesTokenCount: 7 });
    let text = '';
    for await (const chunk of await gemini().models.generateContentStream({ model: 'via-claude', contents: 'hi' })) text += chunk.text ?? '';
    expect(text).toBe('Hello from the mock provider.');
    expect(mock.requests.map((r) => [r.path, (r.body as { model: string; max_tokens: number }).model])).toEqual([
      ['/v1/messages', 'claude-haiku-4-5'],
      ['/v1/messages', 'claude-haiku-4-5'],
    ]);
    expect(mock.requests[0].body).toMatchObject({ max_tokens: 64 });
  });

  it('falls back across families: the OpenAI target refuses connections, the Anthropic one answers translated', async () => {
    const { data, response } = await openai().chat.completions.create({ model: 'mixed', messages: hi }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the mock provider.');
    expect(mock.requests.map((r) => r.path)).toEqual(['/v1/messages']);
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({
      status: 200,
      routeId: routes.mixed.id,
      credentialId: anthropicLive.config.id,
      ...CLAUDE_METERED,
    });
    expect(event.attempts!.map((a) => [a.credentialId, a.model, a.outcome])).toEqual([
      [openaiDead.config.id, 'gpt-4o', 'connect_error'],
      [anthropicLive.config.id, 'claude-haiku-4-5', 'answered'],
    ]);
  });

  it('refuses a Gemini stream without alt=sse routed to another family, saying how to ask', async () => {
    const res = await fetch(`${dp.url}/v1beta/models/via-gpt:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key.secret },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; status: string } };
    expect(body.error.message).toContain('alt=sse');
    expect(mock.requests).toHaveLength(0);
  });
});
