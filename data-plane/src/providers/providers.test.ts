import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { SseParser } from '../streaming/sse-parser.js';
import { anthropicApi } from './anthropic/index.js';
import { messages } from './anthropic/messages/index.js';
import { geminiApi } from './gemini/index.js';
import { streamGenerateContent } from './gemini/generate-content/index.js';
import { chatCompletions } from './openai/chat-completions/index.js';
import { openaiApi } from './openai/index.js';
import { responses } from './openai/responses/index.js';
import { parseModelMethod } from './routes.js';
import type { Operation, PreparedRequest } from './types.js';

/** Feeds SSE text through an operation's observer; returns the forwarded text and the usage. */
function observe(op: Operation, text: string, prepared: PreparedRequest = { body: null, hideUsageChunk: false }) {
  const observer = op.observeStream(prepared);
  const parser = new SseParser();
  const forwarded = parser
    .push(Buffer.from(text))
    .filter((e) => observer.onEvent(e))
    .map((e) => e.raw.toString())
    .join('');
  return { forwarded, usage: observer.usage() };
}

const input = (body: Record<string, unknown>, query = '') => ({ body, pathModel: null, query: new URLSearchParams(query) });

describe('OpenAI chat completions', () => {
  const op = chatCompletions;

  it('asks for streamed usage, keeping the agent’s other stream options', () => {
    const body = { model: 'm', stream: true, stream_options: { include_obfuscation: false } };
    expect(op.prepare(input(body), { model: 'm', stream: true })).toEqual({
      body: { ...body, stream_options: { include_obfuscation: false, include_usage: true } },
      hideUsageChunk: true,
    });
    expect(op.prepare(input({ stream: true, stream_options: { include_usage: true } }), { model: 'm', stream: true })).toEqual({
      body: null,
      hideUsageChunk: false,
    });
    expect(op.prepare(input({}), { model: 'm', stream: false })).toEqual({ body: null, hideUsageChunk: false });
  });

  const stream = [
    'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n',
    'data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}}\n\n',
    'data: [DONE]\n\n',
  ].join('');

  it('takes usage from the usage chunk and hides that chunk only when the gateway asked for it', () => {
    const hidden = observe(op, stream, { body: {}, hideUsageChunk: true });
    expect(hidden.usage).toEqual({ inputTokens: 10, outputTokens: 2, cachedInputTokens: 4 });
    expect(hidden.forwarded).not.toContain('prompt_tokens');
    expect(hidden.forwarded).toContain('[DONE]');
    expect(observe(op, stream).forwarded).toBe(stream);
  });

  it('reads usage from the end of a whole answer', () => {
    expect(op.usageFromTail('..."usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4},"system_fingerprint":"x"}')).toEqual({
      inputTokens: 3,
      outputTokens: 1,
      cachedInputTokens: 0,
    });
  });
});

describe('OpenAI responses', () => {
  it('takes usage from response.completed', () => {
    const text =
      'event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\n' +
      'event: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":8,"output_tokens":5,"input_tokens_details":{"cached_tokens":2}}}}\n\n';
    expect(observe(responses, text).usage).toEqual({ inputTokens: 8, outputTokens: 5, cachedInputTokens: 2 });
  });
});

describe('Anthropic messages', () => {
  it('combines message_start input usage (with cache reads and writes) and message_delta output usage', () => {
    const text =
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":20,"output_tokens":1}}}\n\n' +
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"hi"}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n';
    expect(observe(messages, text).usage).toEqual({ inputTokens: 35, outputTokens: 42, cachedInputTokens: 20, cacheWriteInputTokens: 5 });
  });
});

describe('Gemini generateContent', () => {
  it('keeps the last running usage totals of a stream', () => {
    const text =
      'data: {"candidates":[],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1}}\r\n\r\n' +
      'data: {"candidates":[],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":6,"thoughtsTokenCount":3,"cachedContentTokenCount":2}}\r\n\r\n';
    expect(observe(streamGenerateContent, text).usage).toEqual({ inputTokens: 9, outputTokens: 9, cachedInputTokens: 2 });
  });

  it('reads the model and method from the path and never forwards the agent’s key parameter', () => {
    expect(parseModelMethod('gemini-2.5-flash:streamGenerateContent')).toEqual({ model: 'gemini-2.5-flash', method: 'streamGenerateContent' });
    expect(parseModelMethod('models%2Fgemini-2.5-pro:generateContent')).toEqual({ model: 'gemini-2.5-pro', method: 'generateContent' });
    expect(parseModelMethod('no-method')).toBeNull();
    const path = streamGenerateContent.upstreamPath('gemini-2.5-flash', true, new URLSearchParams('alt=sse&key=kw_secret'));
    expect(path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });
});

describe('error shapes', () => {
  const error = new GatewayError('upstream_stalled', 504, 'The provider stopped sending data.');

  it('renders each family’s JSON error body', () => {
    expect(JSON.parse(openaiApi.errorBody(error))).toEqual({
      error: { message: 'The provider stopped sending data.', type: 'server_error', param: null, code: 'upstream_stalled' },
    });
    expect(JSON.parse(anthropicApi.errorBody(error))).toEqual({
      type: 'error',
      error: { type: 'timeout_error', message: 'The provider stopped sending data.' },
    });
    expect(JSON.parse(geminiApi.errorBody(error))).toEqual({
      error: { code: 504, message: 'The provider stopped sending data.', status: 'DEADLINE_EXCEEDED' },
    });
  });

  it('renders each operation’s mid-stream error event', () => {
    expect(chatCompletions.errors.streamErrorEvent(error)).toMatch(/^data: \{"error":\{.*"code":"upstream_stalled"\}\}\n\n$/);
    expect(responses.errors.streamErrorEvent(error)).toMatch(/^event: error\ndata: \{"type":"error","code":"upstream_stalled"/);
    expect(messages.errors.streamErrorEvent(error)).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"timeout_error"/);
    expect(streamGenerateContent.errors.streamErrorEvent(error)).toMatch(/^data: \{"error":\{"code":504/);
  });
});
