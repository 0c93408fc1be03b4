import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, type MockBehaviour } from '../mock-provider/index.js';
import { useTranslationHarness } from './support/harness.js';
import { chatCompletions, generateContent, translator } from './support/pairs.js';
import { shapeDifferences } from './support/shape.js';

const behaviour = (b: MockBehaviour) => ({ headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } });
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('an OpenAI Chat agent served by Gemini generateContent', () => {
  const h = useTranslationHarness({
    translators: [translator(chatCompletions, generateContent)],
    targetModel: 'gemini-2.5-flash',
    targetSecret: 'gemini-mock-key',
  });
  let client: OpenAI;
  let native: OpenAI;

  beforeAll(() => {
    client = new OpenAI({ apiKey: 'kw-agent', baseURL: `${h.url}/v1`, maxRetries: 0 });
    native = new OpenAI({ apiKey: 'sk-native', baseURL: `${h.mock.url}/v1`, maxRetries: 0 });
  });

  it('answers a chat in the native chat.completion shape, with the system prompt as systemInstruction and the settings in generationConfig', async () => {
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
      max_completion_tokens: 50,
      temperature: 1.2,
      top_p: 0.9,
      stop: 'END',
      seed: 7,
    };
    const completion = await client.chat.completions.create(params);
    expect(completion.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: 'Hello from the mock provider.' }, finish_reason: 'stop' });
    expect(completion.model).toBe('gemini-2.5-flash');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, prompt_tokens_details: { cached_tokens: 0 } });
    expect(h.mock.requests[0]).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:generateContent', credential: 'gemini-mock-key', query: {} });
    expect(h.mock.requests[0].body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        { role: 'user', parts: [{ text: 'again' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 1.2, topP: 0.9, maxOutputTokens: 50, stopSequences: ['END'], seed: 7 },
    });
    expect(shapeDifferences(completion, await native.chat.completions.create(params), ['system_fingerprint'])).toEqual([]);
  });

  it('counts cached tokens as OpenAI does', async () => {
    const completion = await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ usage: { inputTokens: 40, outputTokens: 5, cachedInputTokens: 30 } }),
    );
    expect(completion.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 30 } });
  });

  it('asks for JSON with the agent’s schema', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } },
    });
    expect((h.mock.requests[0].body as { generationConfig: unknown }).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
  });

  it('carries base64 images inline and refuses image URLs with a 400 naming them', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] }],
    });
    expect((h.mock.requests[0].body as { contents: unknown[] }).contents[0]).toEqual({
      role: 'user',
      parts: [{ inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }],
    });
    const byUrl = client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } }] }],
    });
    await expect(byUrl).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(byUrl).rejects.toThrow('An image given by URL cannot be translated to Gemini generateContent');
    expect(h.mock.requests).toHaveLength(1);
  });

  it('streams over alt=sse as native chunks with the finish reason, the usage chunk and [DONE]', async () => {
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
    expect(h.mock.requests[0]).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', query: { alt: 'sse' } });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 7 } });
    const nativeChunks = await collect(native);
    for (const [translated, nativeChunk] of [
      [chunks[0], nativeChunks[0]],
      [chunks[1], nativeChunks[1]],
      [chunks.at(-1), nativeChunks.at(-1)],
    ]) {
      expect(shapeDifferences(translated, nativeChunk, ['system_fingerprint'])).toEqual([]);
    }
  });

  it('gives function calls stable ids, and sends results back as functionResponse parts found by those ids', async () => {
    const call = async () =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL], tool_choice: 'required' },
        behaviour({ text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }),
      );
    const completion = await call();
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    const toolCalls = completion.choices[0].message.tool_calls ?? [];
    expect(toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(h.mock.requests[0].body).toMatchObject({
      tools: [
        { functionDeclarations: [{ name: 'get_weather', description: 'The weather in a city.', parametersJsonSchema: WEATHER_TOOL.function.parameters }] },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });

    h.mock.reset();
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather?' },
        completion.choices[0].message,
        { role: 'tool', tool_call_id: toolCalls[0].id, content: '{"sky":"sunny"}' },
      ],
    });
    expect((h.mock.requests[0].body as { contents: unknown[] }).contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } }] },
    ]);
  });

  it('streams function calls so the client assembles them', async () => {
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
    const calls = completion.choices[0].message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? c.function.arguments : ''))).toEqual(['{"city":"Paris"}', '{"city":"Rome"}']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
  });

  it('refuses a tool result whose id matches no earlier tool call', async () => {
    const failure = client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'tool', tool_call_id: 'call_unknown', content: 'sunny' },
      ],
    });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(failure).rejects.toThrow(
      'A tool result for "call_unknown", an id no earlier assistant tool call has, cannot be translated to Gemini generateContent',
    );
  });

  it('gives a Gemini error to the agent as the OpenAI error its client raises', async () => {
    const failure = client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      behaviour({ error: { status: 400, message: 'Request contains an invalid argument.' } }),
    );
    await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(failure).rejects.toMatchObject({ status: 400, error: { message: 'Request contains an invalid argument.', type: 'invalid_request_error' } });
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
    [{ parallel_tool_calls: false }, 'parallel_tool_calls: false'],
    [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
  ])('refuses %j with a 400 naming it, and sends nothing upstream', async (extra, feature) => {
    const failure = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(failure).rejects.toThrow(`${feature}`);
    await expect(failure).rejects.toThrow('cannot be translated to Gemini generateContent');
    expect(h.mock.requests).toEqual([]);
  });
});
