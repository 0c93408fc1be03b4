import type { GatewayError } from '../../../errors.js';
import { hasObjectKey } from '../../../streaming/json-peek.js';
import { lastObjectForKey } from '../../../streaming/tail-window.js';
import { contentText } from '../../codec/text.js';
import { joinTexts, nonNegativeInt } from '../../codec/walk.js';
import { defineOperation } from '../../operation.js';
import { field, parseData, type TokenUsage } from '../../types.js';
import { openaiApi } from '../api.js';
import { openaiErrorBody, openaiErrorObject } from '../errors.js';
import { openaiUsage } from '../usage.js';
import { responsesAnswers } from './answers.js';
import { responsesCodec } from './request.js';

/** `POST /v1/responses`. Streamed usage arrives in the final `response.completed` (or `.incomplete`/`.failed`) event. */
export const responses = defineOperation(openaiApi, {
  endpoint: 'responses',
  route: { pattern: '/v1/responses', modelMethod: null },
  request: responsesCodec,
  answers: responsesAnswers,
  maxOutputTokens: (body) => nonNegativeInt(body.max_output_tokens),
  // A Responses stream reports failure with an `error` event; the official client throws on it.
  errors: {
    errorBody: openaiErrorBody,
    streamErrorEvent(error: GatewayError) {
      const object = openaiErrorObject(error);
      const data = { type: 'error', code: object.code, message: object.message, param: object.param, error: object };
      return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
    },
  },
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: body.stream === true }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => '/responses',
  isSse: (stream) => stream,
  observeStream() {
    let usage: TokenUsage | null = null;
    return {
      onEvent(event) {
        if (event.data !== null && hasObjectKey(event.data, 'usage')) {
          const reported = openaiUsage(field(field(parseData(event.data), 'response'), 'usage'));
          if (reported) usage = reported;
        }
        return true;
      },
      usage: () => usage,
      // Only the terminal events (`response.completed`, `.incomplete`, `.failed`) carry usage.
      usageFinal: () => usage !== null,
    };
  },
  usageFromTail: (tail) => openaiUsage(lastObjectForKey(tail, 'usage')),
  requestText(body) {
    const input = body.input;
    const instructions = typeof body.instructions === 'string' ? body.instructions : '';
    if (typeof input === 'string') return joinTexts([instructions, input]);
    if (!Array.isArray(input)) return instructions;
    return joinTexts([instructions, ...input.map((item) => contentText(field(item, 'content')))]);
  },
  responseText(json) {
    const output = field(json, 'output');
    if (!Array.isArray(output)) return '';
    return joinTexts(output.map((item) => contentText(field(item, 'content'))));
  },
  streamText(json) {
    const type = field(json, 'type');
    if (type === 'response.output_text.delta' || type === 'response.function_call_arguments.delta') {
      const delta = field(json, 'delta');
      return typeof delta === 'string' ? delta : '';
    }
    return '';
  },
});
