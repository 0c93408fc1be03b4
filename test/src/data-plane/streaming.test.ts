import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { chatStreamFailure } from './support/failure.js';
import { expectNoSecretsIn } from './support/secrets.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const behaviour = (b: unknown) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const slowStream = { text: 'x'.repeat(200), chunks: 50, intervalMs: 50 };

describe('streams that do not end well', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let gemini: GoogleGenAI;

  beforeAll(async () => {
    world = await createTestWorld();
    mock = await startMockProvider();
    collector = await startEventCollector();
    const credentials = [
      await world.credential('openai', `${mock.url}/v1`),
      await world.credential('anthropic', mock.url),
      await world.credential('gemini', mock.url),
    ];
    key = world.key();
    dp = await startTestDataPlane({
      world,
      snapshot: world.snapshot({ keys: [key], credentials }),
      eventsUrl: collector.eventsUrl,
      env: { KEYWARD_UPSTREAM_IDLE_TIMEOUT_MS: '500' },
    });
    openai = new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
    gemini = new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('a client that goes away', () => {
    it('cancels the OpenAI upstream request and records the partial stream', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }, behaviour(slowStream))
        .withResponse();
      let received = 0;
      for await (const _chunk of stream) {
        if (++received === 3) break;
      }
      await vi.waitFor(() => expect(mock.requests[0].aborted).toBe(true));
      expect(mock.requests[0].finished).toBe(false);
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ status: 200, errorCode: 'client_closed', stream: true });
      expect(event.tags).toContain('usage_estimated');
      expect(event.inputTokens).toBeGreaterThan(0);
    });

    it('cancels the Anthropic upstream request', async () => {
      const controller = new AbortController();
      const stream = await anthropic.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
        { ...behaviour(slowStream), signal: controller.signal },
      );
      let deltas = 0;
      // The client ends the iteration quietly when its own signal aborts it.
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && ++deltas === 2) controller.abort();
      }
      expect(deltas).toBe(2);
      await vi.waitFor(() => expect(mock.requests[0].aborted).toBe(true));
    });

    it('cancels the Gemini upstream request', async () => {
      const controller = new AbortController();
      const stream = await gemini.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: { abortSignal: controller.signal, httpOptions: { headers: behaviour(slowStream).headers } },
      });
      await expect(
        (async () => {
          let n = 0;
          for await (const _chunk of stream) if (++n === 2) controller.abort();
        })(),
      ).rejects.toThrow();
      await vi.waitFor(() => expect(mock.requests[0].aborted).toBe(true));
    });
  });

  describe('a provider that stalls mid-stream', () => {
    it('ends an OpenAI stream with an error chunk the client raises', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }, behaviour({ chunks: 5, stallAfterChunks: 2 }))
        .withResponse();
      const { text, err } = await chatStreamFailure(stream);
      expect(text.length).toBeGreaterThan(0);
      expect(err.error).toMatchObject({ code: 'upstream_stalled', type: 'server_error' });
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ status: 200, decision: 'error', errorCode: 'upstream_stalled' });
      await vi.waitFor(() => expect(mock.requests[0].aborted).toBe(true));
    });

    it('ends a Responses stream with an error event the client raises', async () => {
      const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true }, behaviour({ chunks: 5, stallAfterChunks: 1 }));
      await expect(
        (async () => {
          for await (const _event of stream);
        })(),
      ).rejects.toMatchObject({ error: { code: 'upstream_stalled' } });
    });

    it('ends an Anthropic stream with an error event', async () => {
      const stream = await anthropic.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
        behaviour({ chunks: 5, stallAfterChunks: 2 }),
      );
      const err = await (async () => {
        try {
          for await (const _event of stream);
        } catch (e) {
          return e as InstanceType<typeof Anthropic.APIError>;
        }
        throw new Error('the stream should have failed');
      })();
      expect(err.error).toMatchObject({ type: 'error', error: { type: 'timeout_error', message: expect.stringContaining('stopped sending') } });
    });

    it('ends a Gemini stream with an error event', async () => {
      const stream = await gemini.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: { httpOptions: { headers: behaviour({ chunks: 5, stallAfterChunks: 2 }).headers } },
      });
      await expect(
        (async () => {
          for await (const _chunk of stream);
        })(),
      ).rejects.toMatchObject({ status: 504, message: expect.stringContaining('DEADLINE_EXCEEDED') });
    });
  });

  describe('a provider connection that breaks mid-stream', () => {
    it('ends the stream with an error naming the interruption', async () => {
      const { data: stream, response } = await openai.chat.completions
        .create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
          behaviour({ chunks: 5, failAfterChunks: 2, failWith: 'reset' }),
        )
        .withResponse();
      await expect(
        (async () => {
          for await (const _chunk of stream);
        })(),
      ).rejects.toMatchObject({ error: { code: 'stream_interrupted' } });
      const event = await eventFor(collector, response.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'error', errorCode: 'stream_interrupted' });
    });

    it('passes a provider’s own mid-stream error event through unchanged', async () => {
      const stream = await anthropic.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true },
        behaviour({ chunks: 5, failAfterChunks: 2, failWith: 'event' }),
      );
      await expect(
        (async () => {
          for await (const _event of stream);
        })(),
      ).rejects.toMatchObject({ error: { error: { type: 'overloaded_error' } } });
    });
  });

  it('writes no secret to any log line', () => {
    expectNoSecretsIn(dp.logs, world.secrets);
  });

  describe('a slow client', () => {
    it('makes the gateway stop reading from the provider until the client catches up, and still delivers everything', async () => {
      const text = 'y'.repeat(8 * 1024 * 1024);
      mock.setBehaviour({ text, chunks: 512 });
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
      let received = 0;
      let n = 0;
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content?.length ?? 0;
        // A pause at the start lets every buffer between provider and client fill up.
        if (++n === 1) await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(received).toBe(text.length);
      expect(mock.requests[0].backpressured).toBe(true);
      const metrics = await (await fetch(`${dp.url}/metrics`)).text();
      expect(metrics).toMatch(/^keyward_dp_client_backpressure_waits_total [1-9]/m);
    });
  });
});
