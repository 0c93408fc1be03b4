import { describe, expect, it } from 'vitest';
import { generateContent, streamGenerateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { translatorFor } from './index.js';
import { runStream, sseData } from './testing.js';

const translator = translatorFor(generateContent, chatCompletions)!;
const streaming = translatorFor(streamGenerateContent, chatCompletions)!;

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null })}\n\n`;

const OPENAI_STREAM = [
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Checking — ☀' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  `data: ${JSON.stringify({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 130, completion_tokens: 20, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

describe('Gemini generateContent to OpenAI Chat', () => {
  it('streams only for streamGenerateContent', () => {
    expect(translator.upstream({ contents: [] }, 'gpt-4o')).toMatchObject({ operation: chatCompletions, path: '/chat/completions', stream: false });
    expect(streaming.upstream({ contents: [] }, 'gpt-4o')).toMatchObject({ stream: true });
    expect(streaming.request({ contents: [] }, 'gpt-4o')).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('matches function responses without ids to the open calls by name, in order, and leaves thought summaries out', () => {
    const body = translator.request(
      {
        contents: [
          { role: 'user', parts: [{ text: 'Compare' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
          {
            role: 'model',
            parts: [
              { text: 'weighing it', thought: true },
              { functionCall: { name: 'f', args: { n: 1 } }, thoughtSignature: 'c2ln' },
              { functionCall: { name: 'f', args: { n: 2 } } },
            ],
          },
          { role: 'user', parts: [{ functionResponse: { name: 'f', response: { r: 1 } } }, { functionResponse: { name: 'f', response: { r: 2 } } }] },
        ],
        tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER' } } } }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } },
        generationConfig: { responseMimeType: 'application/json', candidateCount: 2 },
      },
      'gpt-4o',
    );
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1_0', type: 'function', function: { name: 'f', arguments: '{"n":1}' } },
            { id: 'call_1_1', type: 'function', function: { name: 'f', arguments: '{"n":2}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1_0', content: '{"r":1}' },
        { role: 'tool', tool_call_id: 'call_1_1', content: '{"r":2}' },
      ],
      n: 2,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { n: { type: 'integer' } } } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_object' },
    });
  });

  it.each([
    [
      { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'g', response: {} } }] }] },
      'A function response for "g" that answers no open function call',
    ],
    [{ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'audio/wav', data: 'AAAA' } }] }] }, 'Inline data of type audio/wav'],
    [{ contents: [], generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }, 'thinking settings'],
    [{ contents: [], generation_config: {} }, 'The request field "generation_config"'],
    [
      { contents: [], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'b'] } } },
      'The function calling mode ANY limited to several functions',
    ],
  ])('refuses %j with 400 untranslatable', (body, feature) => {
    expect(() => translator.request(body, 'gpt-4o')).toThrow(feature);
  });

  it('answers as a Gemini response, the tool call ids kept on the function calls', () => {
    expect(
      translator.answer({
        id: 'chatcmpl-1',
        model: 'gpt-4o',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_A', type: 'function', function: { name: 'f', arguments: '{"n":1}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 130, completion_tokens: 20, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } },
      }),
    ).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'call_A', name: 'f', args: { n: 1 } } }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 130, candidatesTokenCount: 20, totalTokenCount: 150, cachedContentTokenCount: 100 },
      modelVersion: 'gpt-4o',
      responseId: 'chatcmpl-1',
    });
  });

  it('streams the same chunks whatever the byte boundaries: text as it comes, the function call whole with the finish and usage', () => {
    const whole = runStream(streaming.stream({}), OPENAI_STREAM, OPENAI_STREAM.length);
    expect(runStream(streaming.stream({}), OPENAI_STREAM, 1)).toBe(whole);
    expect(runStream(streaming.stream({}), OPENAI_STREAM, 11)).toBe(whole);
    expect(whole.split('\r\n\r\n').filter(Boolean)).toHaveLength(2);
    expect(sseData(whole)).toEqual([
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Checking — ☀' }] }, index: 0 }],
        modelVersion: 'gpt-4o-2024-08-06',
        responseId: 'chatcmpl-9',
      },
      {
        candidates: [
          {
            content: { role: 'model', parts: [{ functionCall: { id: 'call_A', name: 'get_weather', args: { city: 'Paris' } } }] },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 130, candidatesTokenCount: 20, totalTokenCount: 150, cachedContentTokenCount: 100 },
        modelVersion: 'gpt-4o-2024-08-06',
        responseId: 'chatcmpl-9',
      },
    ]);
  });

  it('reports an error chunk, or a stream cut before [DONE], as Gemini’s error chunk', () => {
    const failed = runStream(streaming.stream({}), `${chunk({ content: 'a' })}data: {"error":{"message":"Server overloaded","type":"server_error"}}\n\n`, 16);
    expect(sseData(failed).at(-1)).toEqual({ error: { code: 502, message: 'Server overloaded', status: 'UNAVAILABLE' } });
    const cut = runStream(streaming.stream({}), OPENAI_STREAM.slice(0, 300), 16);
    expect(sseData(cut).at(-1)).toMatchObject({ error: { code: 502, status: 'UNAVAILABLE' } });
  });

  it('writes OpenAI’s error bodies as Gemini’s', () => {
    expect(
      JSON.parse(translator.error(404, { error: { message: 'The model does not exist.', type: 'invalid_request_error', code: 'model_not_found' } })),
    ).toEqual({
      error: { code: 404, message: 'The model does not exist.', status: 'NOT_FOUND' },
    });
  });
});
