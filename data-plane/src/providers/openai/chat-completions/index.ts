import { hasObjectKey } from '../../../streaming/json-peek.js';
import { lastObjectForKey } from '../../../streaming/tail-window.js';
import { contentText } from '../../codec/text.js';
import { joinTexts, nonNegativeInt } from '../../codec/walk.js';
import { defineOperation } from '../../operation.js';
import { field, parseData, type TokenUsage } from '../../types.js';
import { openaiApi } from '../api.js';
import { openaiUsage } from '../usage.js';
import { chatCompletionsAnswers } from './answers.js';
import { chatCompletionsCodec } from './request.js';

const DONE = Buffer.from('[DONE]');

/**
 * `POST /v1/chat/completions`. Streams only report usage when asked, so the gateway asks
 * (`stream_options.include_usage`) and hides the extra usage-only chunk from an agent that
 * did not ask for it.
 */
export const chatCompletions = defineOperation(openaiApi, {
  endpoint: 'chat.completions',
  route: { pattern: '/v1/chat/completions', modelMethod: null },
  request: chatCompletionsCodec,
  answers: chatCompletionsAnswers,
  maxOutputTokens: (body) => nonNegativeInt(body.max_completion_tokens) ?? nonNegativeInt(body.max_tokens),
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: body.stream === true }),
  prepare({ body }, shape) {
    if (!shape.stream) return { body: null, hideUsageChunk: false };
    const options = body.stream_options;
    if (field(options, 'include_usage') === true) return { body: null, hideUsageChunk: false };
    const merged = options !== null && typeof options === 'object' ? { ...options, include_usage: true } : { include_usage: true };
    return { body: { ...body, stream_options: merged }, hideUsageChunk: true };
  },
  upstreamPath: () => '/chat/completions',
  isSse: (stream) => stream,
  observeStream(prepared) {
    let usage: TokenUsage | null = null;
    return {
      onEvent(event) {
        const data = event.data;
        if (data === null || data.subarray(0, DONE.length).equals(DONE) || !hasObjectKey(data, 'usage')) return true;
        const json = parseData(data);
        const reported = openaiUsage(field(json, 'usage'));
        if (reported) usage = reported;
        const choices = field(json, 'choices');
        return !(prepared.hideUsageChunk && Array.isArray(choices) && choices.length === 0);
      },
      usage: () => usage,
      // The usage chunk is the last one: any usage seen is the final count.
      usageFinal: () => usage !== null,
    };
  },
  usageFromTail: (tail) => openaiUsage(lastObjectForKey(tail, 'usage')),
  requestText(body) {
    const messages = body.messages;
    return Array.isArray(messages) ? joinTexts(messages.map((m) => contentText(field(m, 'content')))) : '';
  },
  responseText(json) {
    const choices = field(json, 'choices');
    return Array.isArray(choices) ? joinTexts(choices.map((c) => contentText(field(field(c, 'message'), 'content')))) : '';
  },
  streamText(json) {
    const choices = field(json, 'choices');
    if (!Array.isArray(choices)) return '';
    let text = '';
    for (const choice of choices) {
      const delta = field(choice, 'delta');
      const content = field(delta, 'content');
      if (typeof content === 'string') text += content;
      const calls = field(delta, 'tool_calls');
      if (Array.isArray(calls)) {
        for (const call of calls) {
          const args = field(field(call, 'function'), 'arguments');
          if (typeof args === 'string') text += args;
        }
      }
    }
    return text;
  },
});
