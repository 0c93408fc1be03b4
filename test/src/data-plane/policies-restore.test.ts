import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockBehaviour, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const EMAIL = 'jane.doe@example.com';
const PROMPT = `Please write to ${EMAIL}.`;
const ANSWER = 'Sure: I wrote to [EMAIL_1] just now, and [EMAIL_9] is not one of yours.';
const RESTORED = `Sure: I wrote to ${EMAIL} just now, and [EMAIL_9] is not one of yours.`;

/**
 * The number of chunks the mock provider must split `text` into (it cuts at multiples of
 * ceil(length / chunks)) so that one cut falls inside `token`.
 */
function chunksSplitting(text: string, token: string): number {
  const start = text.indexOf(token);
  for (let n = 2; n < text.length; n++) {
    const size = Math.ceil(text.length / n);
    for (let cut = size; cut < text.length; cut += size) if (cut > start && cut < start + token.length) return n;
  }
  throw new Error('no chunk count splits the token');
}

const split = (b: MockBehaviour = {}): MockBehaviour => ({ text: ANSWER, chunks: chunksSplitting(ANSWER, '[EMAIL_1]'), ...b });
const headers = (b: MockBehaviour) => ({ [BEHAVIOUR_HEADER]: JSON.stringify(b) });

describe('restoring redacted values in answers', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = () => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });

  beforeAll(async () => {
    world = await createTestWorld({ contentCapture: true });
    mock = await startMockProvider();
    collector = await startEventCollector();
    const credentials = [
      await world.credential('openai', `${mock.url}/v1`),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    key = world.key();
    const policy = testPolicy(world, {
      name: 'Contacts stay home',
      rules: [{ id: 'contacts', when: { prompt: { pii: 'email' } }, action: { type: 'redact', detectors: ['email'], restore: true } }],
    });
    dp = await startTestDataPlane({ world, snapshot: withPolicies(world.snapshot({ keys: [key], credentials }), [policy]), eventsUrl: collector.eventsUrl });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('OpenAI chat completions', () => {
    it('restores a placeholder split across two stream chunks, with the provider never seeing the address', async () => {
      const stream = await openai().chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true },
        { headers: headers(split()) },
      );
      const deltas: string[] = [];
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      expect(deltas.join('')).toBe(RESTORED);
      expect(deltas.length).toBeGreaterThan(2);
      expect(JSON.stringify(mock.requests[0].body)).not.toContain(EMAIL);
    });

    it('restores streamed tool-call arguments (JSON-escaped) and non-streamed answers', async () => {
      const calls = { toolCalls: [{ name: 'send_mail', arguments: { to: '[EMAIL_1]', note: 'for "[EMAIL_1]"' } }] };
      const stream = await openai().chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], stream: true },
        { headers: headers({ text: 'ok', ...calls }) },
      );
      let args = '';
      for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      expect(JSON.parse(args)).toEqual({ to: EMAIL, note: `for "${EMAIL}"` });

      const whole = await openai().chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] },
        { headers: headers({ text: ANSWER, ...calls }) },
      );
      expect(whole.choices[0].message.content).toBe(RESTORED);
      expect(JSON.parse(whole.choices[0].message.tool_calls![0].type === 'function' ? whole.choices[0].message.tool_calls![0].function.arguments : '')).toEqual(
        {
          to: EMAIL,
          note: `for "${EMAIL}"`,
        },
      );
    });

    it('records the provider’s text (placeholders, not the address) when content is captured', async () => {
      const { response } = await openai()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] }, { headers: headers({ text: ANSWER }) })
        .withResponse();
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event.decision).toBe('redacted');
      // The conversation is recorded as it went upstream: redacted.
      expect(event.content).toEqual({
        request: 'Please write to [EMAIL_1].',
        response: ANSWER,
        messages: [
          { role: 'user', text: 'Please write to [EMAIL_1].', toolCalls: [], images: 0 },
          { role: 'assistant', text: ANSWER, toolCalls: [], images: 0 },
        ],
      });
    });
  });

  it('restores the Responses API’s text deltas and its final response', async () => {
    const stream = openai().responses.stream({ model: 'gpt-4o-mini', input: PROMPT }, { headers: headers(split()) });
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const final = await stream.finalResponse();
    expect(text).toBe(RESTORED);
    expect(final.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: RESTORED }] });
    const whole = await openai().responses.create({ model: 'gpt-4o-mini', input: PROMPT }, { headers: headers({ text: ANSWER }) });
    expect(whole.output_text).toBe(RESTORED);
  });

  it('restores Anthropic text deltas, tool input, and whole messages', async () => {
    const stream = anthropic().messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: PROMPT }] },
      { headers: headers(split({ toolCalls: [{ name: 'send_mail', arguments: { to: '[EMAIL_1]' } }] })) },
    );
    let text = '';
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    expect(text).toBe(RESTORED);
    expect(final.content[1]).toMatchObject({ type: 'tool_use', name: 'send_mail', input: { to: EMAIL } });
    const whole = await anthropic().messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: PROMPT }] },
      { headers: headers({ text: ANSWER }) },
    );
    expect(whole.content[0]).toMatchObject({ type: 'text', text: RESTORED });
  });

  it('restores Gemini streams (SSE and JSON array) and whole answers', async () => {
    const stream = await gemini().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: PROMPT,
      config: { httpOptions: { headers: headers(split()) } },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe(RESTORED);

    const array = await fetch(`${dp.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key.secret, 'content-type': 'application/json', ...headers(split()) },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: PROMPT }] }] }),
    });
    const chunks = (await array.json()) as { candidates: { content: { parts: { text?: string }[] } }[] }[];
    expect(chunks.map((c) => c.candidates[0].content.parts.map((p) => p.text ?? '').join('')).join('')).toBe(RESTORED);

    const whole = await gemini().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: PROMPT,
      config: { httpOptions: { headers: headers({ text: ANSWER, toolCalls: [{ name: 'send_mail', arguments: { to: '[EMAIL_1]' } }] }) } },
    });
    expect(whole.text).toBe(RESTORED);
    expect(whole.functionCalls?.[0]).toMatchObject({ name: 'send_mail', args: { to: EMAIL } });
  });

  it('writes no secret and no restored address to any log line', () => {
    expectNoSecretsIn(dp.logs, [...world.secrets, EMAIL]);
  });
});
