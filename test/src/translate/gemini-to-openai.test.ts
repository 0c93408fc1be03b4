import { ApiError, GoogleGenAI, Type, type GenerateContentResponse } from '@google/genai';
import { beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOUR_HEADER, type MockBehaviour } from '../mock-provider/index.js';
import { useTranslationHarness } from './support/harness.js';
import { chatCompletions, generateContent, streamGenerateContent, translator } from './support/pairs.js';
import { BRIEF_CHAT } from './support/conversation.js';
import { shapeDifferences } from './support/shape.js';

const behaviour = (b: MockBehaviour) => ({ httpOptions: { headers: { [BEHAVIOUR_HEADER]: JSON.stringify(b) } } });
const WEATHER = {
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] },
};
/** What a Gemini answer is made of, without the HTTP response the client adds. */
const answerOf = (r: GenerateContentResponse) => ({
  candidates: r.candidates,
  usageMetadata: r.usageMetadata,
  modelVersion: r.modelVersion,
  responseId: r.responseId,
});

describe('a Gemini agent served by OpenAI Chat Completions', () => {
  const h = useTranslationHarness({
    translators: [translator(generateContent, chatCompletions), translator(streamGenerateContent, chatCompletions)],
    targetPath: '/v1',
    targetModel: 'gpt-4o-mini',
    targetSecret: 'sk-openai-mock',
  });
  let ai: GoogleGenAI;
  let native: GoogleGenAI;

  beforeAll(() => {
    ai = new GoogleGenAI({ apiKey: 'kw-agent', httpOptions: { baseUrl: h.url } });
    native = new GoogleGenAI({ apiKey: 'gemini-native', httpOptions: { baseUrl: h.mock.url } });
  });

  it('answers generateContent in the native shape, with the system instruction and settings as chat fields', async () => {
    const params = {
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        { role: 'user', parts: [{ text: 'again' }] },
      ],
      config: { systemInstruction: 'Be brief.', temperature: 0.4, maxOutputTokens: 50, stopSequences: ['END'], seed: 3 },
    };
    const result = await ai.models.generateContent(params);
    expect(result.text).toBe('Hello from the mock provider.');
    expect(result.candidates?.[0].finishReason).toBe('STOP');
    expect(result.usageMetadata).toEqual({ promptTokenCount: 12, candidatesTokenCount: 7, totalTokenCount: 19 });
    expect(h.mock.requests[0]).toMatchObject({ path: '/v1/chat/completions', credential: 'sk-openai-mock' });
    expect(h.mock.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      messages: BRIEF_CHAT,
      temperature: 0.4,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 3,
    });
    expect(shapeDifferences(answerOf(result), answerOf(await native.models.generateContent(params)))).toEqual([]);
  });

  it('counts cached tokens as Gemini does', async () => {
    const result = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: behaviour({ usage: { inputTokens: 40, outputTokens: 5, cachedInputTokens: 30 } }),
    });
    expect(result.usageMetadata).toEqual({ promptTokenCount: 40, candidatesTokenCount: 5, totalTokenCount: 45, cachedContentTokenCount: 30 });
  });

  it('streams over alt=sse with the finish reason and usage on the last chunk, as Gemini does', async () => {
    const run = async (client: GoogleGenAI) => {
      const chunks: GenerateContentResponse[] = [];
      const stream = await client.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: behaviour({ text: 'one two three', chunks: 3 }),
      });
      for await (const chunk of stream) chunks.push(chunk);
      return chunks;
    };
    const chunks = await run(ai);
    expect(h.mock.requests[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(chunks.map((c) => c.text ?? '').join('')).toBe('one two three');
    expect(chunks.at(-1)?.candidates?.[0].finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata).toMatchObject({ promptTokenCount: 12, candidatesTokenCount: 7 });
    const nativeChunks = await run(native);
    // Gemini puts running totals on every chunk; OpenAI counts only at the end, so only the last chunk has them.
    expect(shapeDifferences(answerOf(chunks[0]), answerOf(nativeChunks[0]), ['usageMetadata'])).toEqual([]);
    expect(shapeDifferences(answerOf(chunks.at(-1)!), answerOf(nativeChunks.at(-1)!))).toEqual([]);
  });

  it('offers function declarations, and answers function calls with ids the client sends back with the responses', async () => {
    const result = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: {
        tools: [{ functionDeclarations: [WEATHER] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY' as never } },
        ...behaviour({ text: '', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }),
      },
    });
    expect(result.functionCalls).toEqual([{ id: 'call_0', name: 'get_weather', args: { city: 'Paris' } }]);
    expect(h.mock.requests[0].body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city.',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
      tool_choice: 'required',
    });

    h.mock.reset();
    await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: result.functionCalls?.[0] }] },
        { role: 'user', parts: [{ functionResponse: { id: 'call_0', name: 'get_weather', response: { sky: 'sunny' } } }] },
      ],
      config: { tools: [{ functionDeclarations: [WEATHER] }] },
    });
    expect((h.mock.requests[0].body as { messages: unknown[] }).messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_0', content: '{"sky":"sunny"}' },
    ]);
  });

  it('streams function calls whole, as Gemini does', async () => {
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Weather?',
      config: {
        tools: [{ functionDeclarations: [WEATHER] }],
        ...behaviour({
          text: 'Checking.',
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_weather', arguments: { city: 'Rome' } },
          ],
        }),
      },
    });
    let text = '';
    const calls: unknown[] = [];
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      calls.push(...(chunk.functionCalls ?? []));
    }
    expect(text).toBe('Checking.');
    expect(calls).toEqual([
      { id: 'call_0', name: 'get_weather', args: { city: 'Paris' } },
      { id: 'call_1', name: 'get_weather', args: { city: 'Rome' } },
    ]);
  });

  it('gives an OpenAI error to the agent as the Gemini error its client raises', async () => {
    const failure = ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: behaviour({ error: { status: 429, message: 'Rate limit reached.' } }),
    });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 429 });
    await expect(failure).rejects.toThrow('Rate limit reached.');
  });

  it.each([
    [{ safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT' as never, threshold: 'BLOCK_NONE' as never }] }, 'safety settings'],
    [{ topK: 4 }, 'topK'],
    [{ tools: [{ googleSearch: {} }] }, 'The tool googleSearch'],
  ])('refuses %j with a 400 naming it, and sends nothing upstream', async (config, feature) => {
    const failure = ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config });
    await expect(failure).rejects.toMatchObject({ status: 400 });
    await expect(failure).rejects.toThrow(feature);
    await expect(failure).rejects.toThrow('cannot be translated to OpenAI Chat Completions');
    expect(h.mock.requests).toEqual([]);
  });
});
