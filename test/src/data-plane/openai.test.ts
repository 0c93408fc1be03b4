import { costMicros, findPrice } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

describe('the OpenAI API through the gateway', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let credential: TestCredential;
  let client: OpenAI;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    credential = await world.credential('openai', `${mock.url}/v1`, { models: ['gpt-4o*', 'text-embedding-*', 'my-finetune'] });
    key = world.key({ allowedModels: ['gpt-4o-mini', 'text-embedding-3-small', 'my-finetune'] });
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl });
    client = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('chat completions', () => {
    it('answers with the provider’s completion and sends the real credential upstream, never the Keyward key', async () => {
      const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(data.choices[0].message.content).toBe('Hello from the mock provider.');
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(mock.requests).toHaveLength(1);
      expect(mock.requests[0].credential).toBe(credential.plaintext);
      expect(JSON.stringify(mock.requests[0].headers)).not.toContain(key.secret);
    });

    it('records usage and cost from the provider’s usage fields', async () => {
      const { response } = await client.chat.completions
        .create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 1200, outputTokens: 300, cachedInputTokens: 200 } }) } },
        )
        .withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({
        orgId: world.org.id,
        keyId: key.config.id,
        keyPrefix: key.config.prefix,
        credentialId: credential.config.id,
        provider: 'openai',
        api: 'openai',
        endpoint: 'chat.completions',
        model: 'gpt-4o-mini',
        stream: false,
        status: 200,
        decision: 'allowed',
        errorCode: null,
        inputTokens: 1200,
        outputTokens: 300,
        cachedInputTokens: 200,
        nodeId: 'test-node',
        content: null,
      });
      const expected = costMicros(findPrice('gpt-4o-mini', [], new Date())!, { inputTokens: 1200, outputTokens: 300, cachedInputTokens: 200 });
      expect(expected).toBeGreaterThan(0);
      expect(event.costMicros).toBe(expected);
      expect(event.clientIpHash).toMatch(/^[0-9a-f]{64}$/);
      expect(event.clientIpHash).not.toContain('127.0.0.1');
      expect(event.ttftMs).not.toBeNull();
    });

    it('streams chunk by chunk and hides the usage chunk the agent did not ask for', async () => {
      const { data: stream, response } = await client.chat.completions
        .create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
          { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'one two three four', chunks: 4, usage: { inputTokens: 9, outputTokens: 4 } }) } },
        )
        .withResponse();
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three four');
      expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect((mock.requests[0].body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });

      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ stream: true, status: 200, inputTokens: 9, outputTokens: 4, decision: 'allowed' });
    });

    it('passes the usage chunk through when the agent asked for it', async () => {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7 });
    });

    it('streams tool calls as argument deltas the client reassembles', async () => {
      const stream = await client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather?' }], stream: true },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }] }) } },
      );
      let args = '';
      let name = '';
      for await (const chunk of stream) {
        const call = chunk.choices[0]?.delta.tool_calls?.[0];
        if (call?.function?.name) name = call.function.name;
        args += call?.function?.arguments ?? '';
      }
      expect(name).toBe('get_weather');
      expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius' });
    });
  });

  describe('responses', () => {
    it('answers a response and records its usage', async () => {
      const { data, response } = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' }).withResponse();
      expect(data.output_text).toBe('Hello from the mock provider.');
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ endpoint: 'responses', inputTokens: 12, outputTokens: 7, stream: false });
    });

    it('streams response events and takes usage from response.completed', async () => {
      const { data: stream, response } = await client.responses
        .create(
          { model: 'gpt-4o-mini', input: 'hi', stream: true },
          { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 21, outputTokens: 8 } }) } },
        )
        .withResponse();
      let text = '';
      const types: string[] = [];
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      expect(text).toBe('Hello from the mock provider.');
      expect(types[0]).toBe('response.created');
      expect(types[types.length - 1]).toBe('response.completed');
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ endpoint: 'responses', stream: true, inputTokens: 21, outputTokens: 8 });
    });
  });

  describe('embeddings', () => {
    it('returns vectors (base64-encoded on the wire, as the client requests) and records prompt tokens', async () => {
      const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }).withResponse();
      expect(data.data).toHaveLength(2);
      expect(data.data[0].embedding[1]).toBeCloseTo(0.2);
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ endpoint: 'embeddings', inputTokens: 12, outputTokens: 0 });
    });
  });

  describe('models', () => {
    it('lists only the models the key may use and its credentials serve', async () => {
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(['gpt-4o-mini', 'my-finetune', 'text-embedding-3-small']);
    });

    it('retrieves an allowed model and refuses one the key may not use', async () => {
      expect((await client.models.retrieve('gpt-4o-mini')).id).toBe('gpt-4o-mini');
      await expect(client.models.retrieve('gpt-4o')).rejects.toMatchObject({ status: 404 });
    });
  });
});
