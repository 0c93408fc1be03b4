import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import type { PolicyConfig } from '@keyward/shared';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, startMockProvider, type MockBehaviour, type MockProvider } from '../mock-provider/index.js';
import { startTestDataPlane, type TestDataPlane } from './support/data-plane.js';
import { startEventCollector, type EventCollector } from './support/event-collector.js';
import { eventFor } from './support/events.js';
import { chatStreamFailure, failure } from './support/failure.js';
import { testPolicy, withPolicies } from './support/policies.js';
import { createTestWorld, type TestKey, type TestWorld } from './support/world.js';

const DESTRUCTIVE: MockBehaviour = { text: 'Cleaning up now.', chunks: 2, toolCalls: [{ name: 'shell_exec', arguments: { command: 'rm -rf /var/data' } }] };
const HARMLESS: MockBehaviour = { text: 'Listing files.', chunks: 2, toolCalls: [{ name: 'shell_exec', arguments: { command: 'ls -la' } }] };
const headers = (b: MockBehaviour) => ({ [BEHAVIOUR_HEADER]: JSON.stringify(b) });
const BLOCK_MESSAGE = 'Destructive shell commands are blocked.';

describe('response rules on the model’s tool calls', () => {
  let world: TestWorld;
  let mock: MockProvider;
  let collector: EventCollector;
  let dp: TestDataPlane;
  let key: TestKey;
  let policy: PolicyConfig;
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${dp.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: key.secret, baseURL: dp.url, maxRetries: 0 });
  const gemini = () => new GoogleGenAI({ apiKey: key.secret, httpOptions: { baseUrl: dp.url } });

  /** Posts a streaming chat request and returns the raw SSE text the agent received. */
  async function rawChatStream(b: MockBehaviour): Promise<{ text: string; requestId: string | null }> {
    const res = await fetch(`${dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json', ...headers(b) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tidy up' }], stream: true }),
    });
    return { text: await res.text(), requestId: res.headers.get('x-request-id') };
  }

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
    policy = testPolicy(world, {
      name: 'Shell safety',
      rules: [
        {
          id: 'no-rm-rf',
          on: 'response',
          when: { toolCall: { name: 'shell_*', args: { path: '$.command', regex: 'rm\\s+-rf' } } },
          action: { type: 'block', status: 403, message: BLOCK_MESSAGE },
        },
      ],
    });
    dp = await startTestDataPlane({ world, snapshot: withPolicies(world.snapshot({ keys: [key], credentials }), [policy]), eventsUrl: collector.eventsUrl });
  });

  afterAll(async () => {
    await dp?.close();
    await mock?.close();
    await collector?.close();
  });

  beforeEach(() => mock.reset());

  describe('OpenAI chat completions, streamed', () => {
    it('lets the text through, withholds the tool call, and ends the stream with an error instead of delivering it', async () => {
      const { text, requestId } = await rawChatStream(DESTRUCTIVE);
      expect(text).toContain('"content":"Cleaning');
      expect(text).not.toContain('shell_exec');
      expect(text).not.toContain('[DONE]');
      expect(text.trimEnd().split('\n\n').at(-1)).toBe(
        `data: ${JSON.stringify({ error: { message: BLOCK_MESSAGE, type: 'permission_error', param: null, code: 'blocked' } })}`,
      );
      const event = await eventFor(collector, requestId);
      expect(event).toMatchObject({ decision: 'blocked', errorCode: 'blocked', status: 200, outputTokens: 7 });
      expect(event.policyMatches).toEqual([{ policyId: policy.id, policyVersion: 1, ruleId: 'no-rm-rf', action: 'block', phase: 'response', shadow: false }]);
    });

    it('makes the official client throw the block after the text it already delivered', async () => {
      const stream = await openai().chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tidy up' }], stream: true },
        { headers: headers(DESTRUCTIVE) },
      );
      const { text, err } = await chatStreamFailure(stream);
      expect(text).toBe('Cleaning up now.');
      expect(err.message).toContain(BLOCK_MESSAGE);
    });

    it('delivers a harmless tool call intact, after inspecting it', async () => {
      const direct = await fetch(`${mock.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers(HARMLESS) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true, stream_options: { include_usage: true } }),
      }).then((r) => r.text());
      const { text, requestId } = await rawChatStream(HARMLESS);
      const normalize = (s: string) =>
        s
          .replace(/"(id|created)":("[^"]*"|\d+)/g, '"$1":0')
          .split('\n\n')
          .filter((e) => !e.includes('"choices":[]'));
      expect(normalize(text)).toEqual(normalize(direct));
      const event = await eventFor(collector, requestId);
      expect(event).toMatchObject({ decision: 'allowed', status: 200, policyMatches: [] });
    });
  });

  it('blocks a Responses API function call streamed as items and argument deltas', async () => {
    const stream = await openai().responses.create({ model: 'gpt-4o-mini', input: 'tidy up', stream: true }, { headers: headers(DESTRUCTIVE) });
    const types: string[] = [];
    const err = await failure(async () => {
      for await (const event of stream) types.push(event.type);
    });
    expect(err.message).toContain(BLOCK_MESSAGE);
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.function_call_arguments.delta');
    expect(types).not.toContain('response.completed');
  });

  it('blocks an Anthropic tool_use block assembled from input_json_delta fragments', async () => {
    const stream = anthropic().messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'tidy up' }] },
      { headers: headers(DESTRUCTIVE) },
    );
    let text = '';
    stream.on('text', (t) => (text += t));
    const err = await failure(stream.finalMessage());
    expect(text).toBe('Cleaning up now.');
    expect(err.message).toContain(BLOCK_MESSAGE);
  });

  it('blocks a Gemini functionCall part and delivers a harmless one', async () => {
    const err = await failure(async () => {
      const stream = await gemini().models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'tidy up',
        config: { httpOptions: { headers: headers(DESTRUCTIVE) } },
      });
      for await (const _chunk of stream);
    });
    expect(err.message).toContain(BLOCK_MESSAGE);
    const stream = await gemini().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'list',
      config: { httpOptions: { headers: headers(HARMLESS) } },
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toEqual([expect.objectContaining({ name: 'shell_exec', args: { command: 'ls -la' } })]);
  });

  describe('whole answers', () => {
    it('answers a blocked OpenAI completion with the rule’s status instead of the body', async () => {
      const err = await failure(
        openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tidy up' }] }, { headers: headers(DESTRUCTIVE) }),
      );
      expect(err.status).toBe(403);
      expect(err.error).toMatchObject({ code: 'blocked', message: BLOCK_MESSAGE });
      const event = await eventFor(collector, err.headers.get('x-request-id'));
      expect(event).toMatchObject({ decision: 'blocked', status: 403, inputTokens: 12, outputTokens: 7 });
    });

    it('answers a blocked Anthropic message in Anthropic’s shape and passes a harmless one unchanged', async () => {
      const err = await failure(
        anthropic().messages.create(
          { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'tidy up' }] },
          { headers: headers(DESTRUCTIVE) },
        ),
      );
      expect(err.status).toBe(403);
      expect(err.error).toEqual({ type: 'error', error: { type: 'permission_error', message: BLOCK_MESSAGE } });
      const fine = await anthropic().messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'list' }] },
        { headers: headers(HARMLESS) },
      );
      expect(fine.content).toEqual([
        { type: 'text', text: 'Listing files.' },
        { type: 'tool_use', id: 'toolu_0', name: 'shell_exec', input: { command: 'ls -la' } },
      ]);
    });
  });
});
