import { lastObjectForKey } from '../../streaming/tail-window.js';
import { contentText, joinTexts } from '../text.js';
import { field, parseData, type Operation } from '../types.js';
import { ANTHROPIC_PATHS } from './api.js';
import { anthropicUsage, mergeAnthropicUsage, type AnthropicUsageFields } from './usage.js';

/**
 * `POST /v1/messages`. Streamed usage is split: `message_start` carries the input side,
 * `message_delta` the (cumulative) output; only those two events are parsed.
 */
export const messages: Operation = {
  family: 'anthropic',
  endpoint: 'messages',
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: body.stream === true }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => ANTHROPIC_PATHS.messages,
  isSse: (stream) => stream,
  observeStream() {
    const fields: AnthropicUsageFields = {};
    return {
      onEvent(event) {
        if (event.event === 'message_start') {
          mergeAnthropicUsage(fields, field(field(parseData(event.data), 'message'), 'usage'));
        } else if (event.event === 'message_delta') {
          mergeAnthropicUsage(fields, field(parseData(event.data), 'usage'));
        }
        return true;
      },
      usage: () => anthropicUsage(fields),
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
};
