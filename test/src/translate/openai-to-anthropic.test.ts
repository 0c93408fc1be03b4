import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, type MockBehaviour } from '../mock-provider/index.js';
import { useTranslationHarness } from './support/harness.js';
import { chatCompletions, messages, translator } from './support/pairs.js';
import { BRIEF_CHAT } from './support/conversation.js';
import { shapeDifferences } from './support/shape.js';

const behaviour = (b: MockBehaviour) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('an OpenAI Chat agent served by Anthropic Messages', () => {
  const h = useTranslationHarness({
    translators: [translator(chatCompletions, messages)],
    targetModel: 'claude-haiku-4-5',
    targetSecret: 'sk-ant-mock',
  });
  let client: OpenAI;
  let native: OpenAI;

  beforeAll(() => {
    client = new OpenAI({ apiKey: 'kw-agent', baseURL: `${h.url}/v1`, maxRetries: 0 });
    native = new OpenAI({ apiKey: 'sk-native', baseURL: `${h.mock.url}/v1`, maxRetries: 0 });
  });

  it('answers a chat in the native chat.completion shape, with the system prompt in Anthropic’s system field', async () => {
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-4o-mini',
      messages: BRIEF_CHAT,
      max_tokens: 50,
      temperature: 0.5,
      stop: ['END'],
    };
    const completion = await client.chat.completions.create(params);
    expect(completion.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: 'Hello from the mock provider.' }, finish_reason: 'stop' });
    expect(completion.id).toMatch(/^chatcmpl-msg_/);
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 0 } });
    expect(h.mock.requests[0]).toMatchObject({ path: '/v1/messages', credential: 'sk-ant-mock' });
    expect(h.mock.requests[0].headers['anthropic-version']).toBeTruthy();
    expect(h.mock.requests[0].body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
      temperature: 0.5,
      stop_sequences: ['END'],
    });
    expect(shapeDifferences(completion, await native.chat.completions.create(params), ['system_fingerprint'])).toEqual([]);
  });

  it('defaults Anthropic’s required max_tokens when the agent names none, and counts cached tokens as OpenAI does', async () => {
    const completion = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ usage: { inputTokens: 40, outputTokens: 5, cachedInputTokens: 30 } }),
    );
    expect((h.mock.requests[0].body as { max_tokens: number }).max_tokens).toBe(4096);
    expect(completion.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 30 } });
  });

  it('asks for a JSON schema response format through Anthropic’s structured outputs', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
    });
    expect((h.mock.requests[0].body as { output_config: unknown }).output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('carries images as base64 data and as URLs', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect((h.mock.requests[0].body as { messages: unknown[] }).messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ],
    });
  });

  it('streams text, the finish reason and the usage chunk as native chunks, ending with [DONE]', async () => {
    const params = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'hi' }],
      stream: true as const,
      stream_options: { include_usage: true },
    };
    const collect = async (c: OpenAI) => {
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of await c.chat.completions.create(params, behaviour({ text: 'one two three', chunks: 3 }))) chunks.push(chunk);
      return chunks;
    };
    const chunks = await collect(client);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 7 } });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const nativeChunks = await collect(native);
    for (const [translated, nativeChunk] of [
      [chunks[0], nativeChunks[0]],
      [chunks[1], nativeChunks[1]],
      [chunks.at(-1), nativeChunks.at(-1)],
    ]) {
      expect(shapeDifferences(translated, nativeChunk, ['system_fingerprint'])).toEqual([]);
    }
  });

  it('offers tools, forces one with tool_choice and answers the tool call with its Anthropic id', async () => {
    const completion = await client.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
      },
      behaviour({ text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }),
    );
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(completion.choices[0].message.tool_calls).toEqual([
      { id: 'toolu_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(h.mock.requests[0].body).toMatchObject({
      tools: [{ name: 'get_weather', description: 'The weather in a city.', input_schema: WEATHER_TOOL.function.parameters }],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    });
  });

  it('sends a tool result back as a tool_result block for the call’s id', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_0', content: 'Sunny, 21 °C' },
      ],
    });
    expect((h.mock.requests[0].body as { messages: unknown[] }).messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_0', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: [{ type: 'text', text: 'Sunny, 21 °C' }] }] },
    ]);
  });

  it('streams tool calls so the client assembles them', async () => {
    const stream = client.chat.completions.stream(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL] },
      behaviour({
        text: 'Checking.',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Paris' } },
          { name: 'get_weather', arguments: { city: 'Rome' } },
        ],
      }),
    );
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0].message.content).toBe('Checking.');
    expect(completion.choices[0].message.tool_calls?.map((c) => [c.id, c.type === 'function' ? c.function.arguments : ''])).toEqual([
      ['toolu_0', '{"city":"Paris"}'],
      ['toolu_1', '{"city":"Rome"}'],
    ]);
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
  });

  it('gives an Anthropic error to the agent as the OpenAI error its client raises', async () => {
    const failure = client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ error: { status: 429, message: 'Number of requests has exceeded your rate limit.' } }),
    );
    await expect(failure).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(failure).rejects.toMatchObject({
      status: 429,
      error: { message: 'Number of requests has exceeded your rate limit.', type: 'rate_limit_exceeded' },
    });
  });

  it('ends a stream the provider fails mid-way with the error event the client throws on', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
      behaviour({ chunks: 3, failAfterChunks: 1, failWith: 'event' }),
    );
    const read = async () => {
      for await (const chunk of stream) void chunk;
    };
    await expect(read()).rejects.toThrow('The mock provider failed mid-stream.');
  });

  it.each([
    [{ logprobs: true }, 'logprobs'],
    [{ n: 2 }, 'n > 1'],
    [{ response_format: { type: 'json_object' as const } }, 'JSON mode without a schema'],
    [{ temperature: 1.5 }, 'temperature above 1'],
    [{ audio: { voice: 'alloy' as const, format: 'mp3' as const }, modalities: ['text' as const, 'audio' as const] }, 'audio output'],
  ])('refuses %j with a 400 naming it, and sends nothing upstream', async (extra, feature) => {
    const failure = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(failure).rejects.toThrow(`${feature}`);
    await expect(failure).rejects.toThrow('cannot be translated to Anthropic Messages');
    expect(h.mock.requests).toEqual([]);
  });
});
