import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, type MockBehaviour } from '../mock-provider/index.js';
import { useTranslationHarness } from './support/harness.js';
import { chatCompletions, messages, translator } from './support/pairs.js';
import { BRIEF_CHAT } from './support/conversation.js';
import { shapeDifferences } from './support/shape.js';

const behaviour = (b: MockBehaviour) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city.',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
};
/** Fields a native Anthropic answer may carry that OpenAI has nothing for. */
const ANTHROPIC_ONLY = ['usage.cache_creation', 'usage.server_tool_use', 'usage.service_tier', 'container', 'stop_details'];

describe('an Anthropic Messages agent served by OpenAI Chat Completions', () => {
  const h = useTranslationHarness({
    translators: [translator(messages, chatCompletions)],
    targetPath: '/v1',
    targetModel: 'gpt-4o-mini',
    targetSecret: 'sk-openai-mock',
  });
  let client: Anthropic;
  let native: Anthropic;

  beforeAll(() => {
    client = new Anthropic({ apiKey: 'kw-agent', baseURL: h.url, maxRetries: 0 });
    native = new Anthropic({ apiKey: 'sk-native', baseURL: h.mock.url, maxRetries: 0 });
  });

  it('answers a message in the native Messages shape, with the system prompt as the first chat message', async () => {
    const params: MessageCreateParamsNonStreaming = {
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'user', content: 'again' },
      ],
      stop_sequences: ['END'],
    };
    const message = await client.messages.create(params);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello from the mock provider.' }],
      stop_reason: 'end_turn',
    });
    expect(message.id).toMatch(/^msg_chatcmpl-/);
    expect(message.usage).toEqual({ input_tokens: 12, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(h.mock.requests[0]).toMatchObject({ path: '/v1/chat/completions', credential: 'sk-openai-mock' });
    expect(h.mock.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      messages: BRIEF_CHAT,
      max_completion_tokens: 100,
      stop: ['END'],
    });
    expect(shapeDifferences(message, await native.messages.create(params), ANTHROPIC_ONLY)).toEqual([]);
  });

  it('asks for structured outputs as a strict JSON schema response format', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect((h.mock.requests[0].body as { response_format: unknown }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema, strict: true },
    });
  });

  it('reports cached tokens as Anthropic does, apart from the uncached input', async () => {
    const message = await client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ usage: { inputTokens: 40, outputTokens: 5, cachedInputTokens: 30 } }),
    );
    expect(message.usage).toMatchObject({ input_tokens: 10, cache_read_input_tokens: 30, output_tokens: 5 });
  });

  it('streams the native event sequence, with the usage in message_delta', async () => {
    const run = async (c: Anthropic) => {
      const types: string[] = [];
      const stream = c.messages.stream(
        { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        behaviour({ text: 'one two three', chunks: 3 }),
      );
      stream.on('streamEvent', (event) => types.push(event.type));
      return { message: await stream.finalMessage(), types };
    };
    const { message, types } = await run(client);
    expect(h.mock.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(message.content).toEqual([{ type: 'text', text: 'one two three' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 7 });
    const nativeRun = await run(native);
    expect(types).toEqual(nativeRun.types.filter((t) => t !== 'ping'));
    expect(shapeDifferences(message, nativeRun.message, ANTHROPIC_ONLY)).toEqual([]);
  });

  it('offers tools and answers tool calls as tool_use blocks with their ids', async () => {
    const message = await client.messages.create(
      {
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
      },
      behaviour({ text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }),
    );
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([{ type: 'tool_use', id: 'call_0', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(h.mock.requests[0].body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city.', parameters: WEATHER_TOOL.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
  });

  it('sends tool results as tool messages right after the assistant’s tool calls', async () => {
    await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_0', name: 'get_weather', input: { city: 'Paris' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_0', content: 'Sunny' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect((h.mock.requests[0].body as { messages: unknown[] }).messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_0', content: 'Sunny' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('streams tool calls as tool_use blocks the client assembles', async () => {
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] },
      behaviour({
        text: 'Checking.',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      }),
    );
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'call_0', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Rome' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('gives an OpenAI error to the agent as the Anthropic error its client raises', async () => {
    const failure = client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ error: { status: 429, message: 'Rate limit reached for requests.' } }),
    );
    await expect(failure).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(failure).rejects.toMatchObject({
      status: 429,
      error: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached for requests.' } },
    });
  });

  it('ends a stream the provider fails mid-way with the error event the client throws on', async () => {
    const stream = client.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ chunks: 3, failAfterChunks: 1, failWith: 'event' }),
    );
    await expect(stream.finalMessage()).rejects.toThrow('The mock provider failed mid-stream.');
  });

  it.each([
    [{ top_k: 5 }, 'top_k'],
    [{ thinking: { type: 'enabled' as const, budget_tokens: 1024 } }, 'extended thinking'],
    [{ tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const }] }, 'web_search_20250305'],
  ])('refuses %j with a 400 naming it, and sends nothing upstream', async (extra, feature) => {
    const failure = client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });
    await expect(failure).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(failure).rejects.toThrow(feature);
    await expect(failure).rejects.toThrow('cannot be translated to OpenAI Chat Completions');
    expect(h.mock.requests).toEqual([]);
  });

  it('refuses a tool result marked is_error rather than sending it as a plain result', async () => {
    const failure = client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_0', name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_0', content: 'city missing', is_error: true }] },
      ],
    });
    await expect(failure).rejects.toThrow('A tool result marked is_error cannot be translated to OpenAI Chat Completions');
  });
});
