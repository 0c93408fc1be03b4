import { lastObjectForKey } from '../../../streaming/tail-window.js';
import { NO_TEXT_ANSWERS } from '../../codec/answer.js';
import { defineOperation } from '../../operation.js';
import { openaiApi } from '../api.js';
import { openaiUsage } from '../usage.js';
import { embeddingsCodec } from './request.js';

/** `POST /v1/embeddings`. Never streams; usage is `prompt_tokens` only. */
export const embeddings = defineOperation(openaiApi, {
  endpoint: 'embeddings',
  route: { pattern: '/v1/embeddings', modelMethod: null },
  request: embeddingsCodec,
  answers: NO_TEXT_ANSWERS,
  // Vectors are no output tokens, whatever the request says.
  maxOutputTokens: () => 0,
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: false }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => '/embeddings',
  isSse: () => false,
  observeStream: () => ({ onEvent: () => true, usage: () => null, usageFinal: () => false }),
  usageFromTail: (tail) => openaiUsage(lastObjectForKey(tail, 'usage')),
  requestText(body) {
    const input = body.input;
    if (typeof input === 'string') return input;
    return Array.isArray(input) ? input.filter((i): i is string => typeof i === 'string').join('\n') : '';
  },
  // Vectors are not text worth capturing.
  responseText: () => '',
  streamText: () => '',
});
