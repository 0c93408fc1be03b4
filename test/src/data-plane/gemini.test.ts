import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { createTestWorld, type TestCredential, type TestKey, type TestWorld } from './support/world.js';

describe('the Gemini API through the gateway', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let credential: TestCredential;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    credential = await world.credential('gemini', mock.url);
    key = world.key({ allowedModels: ['gemini-2.5-*'] });
    dp = await startTestDataPlane({ world, snapshot: world.snapshot({ keys: [key], credentials: [credential] }), eventsUrl: collector.eventsUrl });
    ai = new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  it('answers generateContent with the real credential in x-goog-api-key', async () => {
    const result = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(result.text).toBe('Hello from the mock provider.');
    expect(mock.requests[0].path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(mock.requests[0].headers['x-goog-api-key']).toBe(credential.plaintext);
    expect(mock.requests[0].query).toEqual({});
  });

  it('records usage from usageMetadata', async () => {
    const result = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: { httpOptions: { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 40, outputTokens: 15, cachedInputTokens: 10 } }) } } },
    });
    const event = await eventFor(collector, result.sdkHttpResponse?.headers?.['x-request-id'] ?? null);
    expect(event).toMatchObject({
      api: 'gemini',
      endpoint: 'generateContent',
      model: 'gemini-2.5-flash',
      inputTokens: 40,
      outputTokens: 15,
      cachedInputTokens: 10,
    });
    expect(event.costMicros).toBeGreaterThan(0);
  });

  it('streams with alt=sse and takes the final usageMetadata', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: {
        httpOptions: { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'a b c d e f', chunks: 3, usage: { inputTokens: 7, outputTokens: 6 } }) } },
      },
    });
    let text = '';
    let requestId: string | null = null;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      requestId ??= chunk.sdkHttpResponse?.headers?.['x-request-id'] ?? null;
    }
    expect(text).toBe('a b c d e f');
    expect(mock.requests[0].query).toEqual({ alt: 'sse' });
    const event = await eventFor(collector, requestId);
    expect(event).toMatchObject({ endpoint: 'streamGenerateContent', stream: true, inputTokens: 7, outputTokens: 6 });
  });

  it('streams function calls whole, the way Gemini sends them', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'weather?',
      config: { httpOptions: { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }] }) } } },
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toEqual([expect.objectContaining({ name: 'get_weather', args: { city: 'Rome' } })]);
  });

  it('accepts the key as ?key= and never forwards it', async () => {
    const res = await fetch(`${dp.url}/v1beta/models/gemini-2.5-pro:generateContent?key=${key.secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    expect(mock.requests[0].query).toEqual({});
    expect(mock.requests[0].credential).toBe(credential.plaintext);
  });
});
