import { lastObjectForKey } from '../../../streaming/tail-window.js';
import { contentText } from '../../codec/text.js';
import { joinTexts, nonNegativeInt } from '../../codec/walk.js';
import { defineOperation } from '../../operation.js';
import { field, parseData } from '../../types.js';
import { anthropicApi } from '../api.js';
import { anthropicUsage, mergeAnthropicUsage, type AnthropicUsageFields } from '../usage.js';
import { messagesAnswers } from './answers.js';
import { messagesCodec } from './request.js';

/**
 * `POST /v1/messages`. Streamed usage is split: `message_start` carries the input side,
 * `message_delta` the (cumulative) output; only those two events are parsed. Until the
 * `message_delta` arrives the output count is `message_start`'s placeholder (1), so a stream cut
 * before it is not final.
 */
export const messages = defineOperation(anthropicApi, {
  endpoint: 'messages',
  route: { pattern: '/v1/messages', modelMethod: null },
  request: messagesCodec,
  answers: messagesAnswers,
  maxOutputTokens: (body) => nonNegativeInt(body.max_tokens),
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: body.stream === true }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => '/v1/messages',
  isSse: (stream) => stream,
  observeStream() {
    const fields: AnthropicUsageFields = {};
    let final = false;
    return {
      onEvent(event) {
        if (event.event === 'message_start') {
          mergeAnthropicUsage(fields, field(field(parseData(event.data), 'message'), 'usage'));
        } else if (event.event === 'message_delta') {
          const usage = field(parseData(event.data), 'usage');
          mergeAnthropicUsage(fields, usage);
          final ||= usage !== undefined;
        }
        return true;
      },
      usage: () => anthropicUsage(fields),
      usageFinal: () => final,
    };
  },
  usageFromTail(tail) {
    const fields: AnthropicUsageFields = {};
    mergeAnthropicUsage(fields, lastObjectForKey(tail, 'usage'));
    return anthropicUsage(fields);
  },
  requestText(body) {
    const list = Array.isArray(body.messages) ? body.messages : [];
    return joinTexts([contentText(body.system), ...list.map((m) => contentText(field(m, 'content')))]);
  },
  responseText: (json) => contentText(field(json, 'content')),
  streamText(json) {
    if (field(json, 'type') !== 'content_block_delta') return '';
    const delta = field(json, 'delta');
    const text = field(delta, 'text') ?? field(delta, 'partial_json');
    return typeof text === 'string' ? text : '';
  },
});
