import { hasObjectKey } from '../../streaming/json-peek.js';
import { lastObjectForKey } from '../../streaming/tail-window.js';
import { contentText, joinTexts } from '../text.js';
import { field, parseData, type Operation, type TokenUsage } from '../types.js';
import { OPENAI_PATHS } from './api.js';
import { openaiUsage } from './usage.js';

/** `POST /v1/responses`. Streamed usage arrives in the final `response.completed` (or `.incomplete`/`.failed`) event. */
export const responses: Operation = {
  family: 'openai',
  endpoint: 'responses',
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: body.stream === true }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => OPENAI_PATHS.responses,
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
};
