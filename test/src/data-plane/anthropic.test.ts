import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

describe('the Anthropic API through the gateway', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let credential: TestCredential;
  let client: Anthropic;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    credential = await world.credential('anthropic', mock.url);
    key = world.key();
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl });
    client = new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  it('answers a message, sending the real credential as x-api-key and keeping the client’s API version', async () => {
    const { data, response } = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-version': '2023-06-01' } })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Hello from the mock provider.' });
    expect(mock.requests[0].headers['x-api-key']).toBe(credential.plaintext);
    expect(mock.requests[0].headers['anthropic-version']).toBe('2023-06-01');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('accepts the key as a bearer token too', async () => {
    const bearer = new Anthropic({ apiKey: null, authToken: key.secret, baseURL: dp.url, maxRetries: 0 });
    const message = await bearer.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content[0]).toMatchObject({ text: 'Hello from the mock provider.' });
    expect(mock.requests[0].headers.authorization).toBeUndefined();
    expect(mock.requests[0].headers['x-api-key']).toBe(credential.plaintext);
  });

  it('counts cache reads as cached input, on top of uncached input', async () => {
    const { response } = await client.messages
      .create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 500, outputTokens: 40, cachedInputTokens: 300 } }) } },
      )
      .withResponse();
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ api: 'anthropic', endpoint: 'messages', provider: 'anthropic', inputTokens: 500, cachedInputTokens: 300, outputTokens: 40 });
    expect(event.costMicros).toBeGreaterThan(0);
  });

  it('streams events and takes usage from message_start and message_delta', async () => {
    const { data: stream, response } = await client.messages
      .create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'streamed words here', chunks: 3, usage: { inputTokens: 33, outputTokens: 11 } }) } },
      )
      .withResponse();
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe('streamed words here');
    const event = await eventFor(collector, response.headers.get('x-request-id'));
    expect(event).toMatchObject({ stream: true, inputTokens: 33, outputTokens: 11, status: 200 });
  });

  it('streams tool use as input_json_delta fragments the client reassembles', async () => {
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'weather?' }] },
      { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }) } },
    );
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Oslo' } });
  });
});
