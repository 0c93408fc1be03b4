import { describe, expect, it } from 'vitest';
import { generateContent, streamGenerateContent } from '../providers/gemini/generate-content/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { embeddings } from '../providers/openai/embeddings/index.js';
import { translatorFor } from './index.js';
import { chatChunks, runStream, withoutCreated } from './testing.js';

const translator = translatorFor(chatCompletions, generateContent)!;
const user = { role: 'user', content: 'hi' };

const usageMetadata = { promptTokenCount: 120, candidatesTokenCount: 9, thoughtsTokenCount: 4, cachedContentTokenCount: 100, totalTokenCount: 133 };

/** A Gemini `alt=sse` stream as Google sends it: CRLF framing, a thought summary, text in pieces, a whole function call last. */
const GEMINI_STREAM = [
  { candidates: [{ content: { parts: [{ text: 'Planning…', thought: true }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-pro', responseId: 'r1' },
  { candidates: [{ content: { parts: [{ text: 'Checking the ' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-pro', responseId: 'r1' },
  { candidates: [{ content: { parts: [{ text: 'weather — ☀' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-pro', responseId: 'r1' },
  {
    candidates: [
      {
        content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' }], role: 'model' },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata,
    modelVersion: 'gemini-2.5-pro',
    responseId: 'r1',
  },
]
  .map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`)
  .join('');

describe('OpenAI Chat to Gemini generateContent', () => {
  it('is named by either Gemini method and picks streamGenerateContent with alt=sse for a stream', () => {
    expect(translatorFor(chatCompletions, streamGenerateContent)).toBeDefined();
    expect(translatorFor(embeddings, generateContent)).toBeUndefined();
    expect(translator.upstream({ messages: [user] }, 'gemini-2.5-pro')).toMatchObject({
      operation: generateContent,
      path: '/v1beta/models/gemini-2.5-pro:generateContent',
      stream: false,
    });
    expect(translator.upstream({ messages: [user], stream: true }, 'gemini-2.5-pro')).toMatchObject({
      operation: streamGenerateContent,
      path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
      stream: true,
    });
  });

  it('carries n, penalties, JSON mode and a forced function', () => {
    const body = translator.request(
      {
        messages: [user],
        n: 2,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        response_format: { type: 'json_object' },
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
      },
      'gemini-2.5-pro',
    );
    expect(body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object', properties: {} } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } },
      generationConfig: { candidateCount: 2, presencePenalty: 0.5, frequencyPenalty: -0.5, responseMimeType: 'application/json' },
    });
    expect(translator.request({ messages: [user], tool_choice: 'none' }, 'm')).toMatchObject({ toolConfig: { functionCallingConfig: { mode: 'NONE' } } });
  });

  it('answers several candidates as choices, leaving thought summaries out and giving calls stable ids', () => {
    const json = {
      candidates: [
        {
          content: {
            parts: [
              { text: 'thinking', thought: true },
              { text: 'A' },
              { functionCall: { name: 'f', args: { x: 1 } } },
              { functionCall: { name: 'g', args: {} } },
            ],
            role: 'model',
          },
          finishReason: 'STOP',
          index: 0,
        },
        { content: { parts: [{ text: 'B' }], role: 'model' }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
      usageMetadata,
      modelVersion: 'gemini-2.5-pro',
      responseId: 'r9',
    };
    const answer = translator.answer(json);
    expect(answer).toMatchObject({
      id: 'chatcmpl-r9',
      object: 'chat.completion',
      model: 'gemini-2.5-pro',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'A',
            tool_calls: [
              { id: 'call_r9_0_0', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
              { id: 'call_r9_0_1', type: 'function', function: { name: 'g', arguments: '{}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
        { index: 1, message: { content: 'B' }, finish_reason: 'length' },
      ],
      // Thinking tokens are billed as output, as OpenAI counts reasoning tokens.
      usage: { prompt_tokens: 120, completion_tokens: 13, total_tokens: 133, prompt_tokens_details: { cached_tokens: 100 } },
    });
    expect(translator.answer(json)).toMatchObject({ choices: [{ message: { tool_calls: [{ id: 'call_r9_0_0' }, { id: 'call_r9_0_1' }] } }, {}] });
  });

  it('answers a prompt Gemini blocked as a content_filter choice', () => {
    expect(translator.answer({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5 }, responseId: 'r2' })).toMatchObject({
      choices: [{ message: { content: null }, finish_reason: 'content_filter' }],
      usage: { prompt_tokens: 5, completion_tokens: 0 },
    });
  });

  it('streams a prompt Gemini blocked as a content_filter finish', () => {
    const text = runStream(
      translator.stream({ messages: [user], stream: true }),
      'data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"responseId":"r3"}\r\n\r\n',
      64,
    );
    expect(chatChunks(text).map((c) => c.choices[0].finish_reason)).toEqual([null, 'content_filter']);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('streams the same chunks whatever the byte boundaries, CRLF framing and split characters included', () => {
    const body = { messages: [user], stream: true, stream_options: { include_usage: true } };
    const whole = runStream(translator.stream(body), GEMINI_STREAM, GEMINI_STREAM.length);
    expect(withoutCreated(runStream(translator.stream(body), GEMINI_STREAM, 1))).toBe(withoutCreated(whole));
    expect(withoutCreated(runStream(translator.stream(body), GEMINI_STREAM, 5))).toBe(withoutCreated(whole));
    const chunks = chatChunks(whole);
    expect(chunks.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason])).toEqual([
      [{ role: 'assistant', content: '', refusal: null }, null],
      [{ content: 'Checking the ' }, null],
      [{ content: 'weather — ☀' }, null],
      [{ tool_calls: [{ index: 0, id: 'call_r1_0_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, null],
      [{}, 'tool_calls'],
      [undefined, undefined],
    ]);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 120, completion_tokens: 13, total_tokens: 133, prompt_tokens_details: { cached_tokens: 100 } });
    expect(whole.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('reports a stream cut before any candidate finished, and an error chunk, as the OpenAI error event', () => {
    const cut = runStream(translator.stream({ messages: [user], stream: true }), GEMINI_STREAM.split('\r\n\r\n').slice(0, 2).join('\r\n\r\n'), 64);
    expect(chatChunks(cut).at(-1)).toMatchObject({ error: { code: 'stream_interrupted' } });
    const failed = runStream(
      translator.stream({ messages: [user], stream: true }),
      'data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}\r\n\r\n',
      64,
    );
    expect(chatChunks(failed)).toEqual([{ error: { message: 'The model is overloaded.', type: 'server_error', param: null, code: 'upstream_error' } }]);
  });

  it('writes Gemini’s error bodies as OpenAI’s', () => {
    expect(JSON.parse(translator.error(429, { error: { code: 429, message: 'Resource has been exhausted.', status: 'RESOURCE_EXHAUSTED' } }))).toEqual({
      error: { message: 'Resource has been exhausted.', type: 'rate_limit_exceeded', param: null, code: 'upstream_error' },
    });
  });
});
