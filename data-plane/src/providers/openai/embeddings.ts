import { lastObjectForKey } from '../../streaming/tail-window.js';
import type { Operation } from '../types.js';
import { OPENAI_PATHS } from './api.js';
import { openaiUsage } from './usage.js';

/** `POST /v1/embeddings`. Never streams; usage is `prompt_tokens` only. */
export const embeddings: Operation = {
  family: 'openai',
  endpoint: 'embeddings',
  describe: ({ body }) => ({ model: typeof body.model === 'string' ? body.model : null, stream: false }),
  prepare: () => ({ body: null, hideUsageChunk: false }),
  upstreamPath: () => OPENAI_PATHS.embeddings,
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
};
