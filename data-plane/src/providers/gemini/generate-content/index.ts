import { hasObjectKey } from '../../../streaming/json-peek.js';
import { lastObjectForKey } from '../../../streaming/tail-window.js';
import { contentText } from '../../codec/text.js';
import { getEither, joinTexts, nonNegativeInt } from '../../codec/walk.js';
import { defineOperation } from '../../operation.js';
import { field, parseData, type Operation, type TokenUsage } from '../../types.js';
import { geminiApi, geminiPath } from '../api.js';
import { geminiUsage } from '../usage.js';
import { generateContentAnswers } from './answers.js';
import { generateContentCodec } from './request.js';

function candidatesText(json: unknown): string {
  const candidates = field(json, 'candidates');
  if (!Array.isArray(candidates)) return '';
  return joinTexts(candidates.map((c) => contentText(field(field(c, 'content'), 'parts'))));
}

function generate(method: 'generateContent' | 'streamGenerateContent'): Operation {
  const stream = method === 'streamGenerateContent';
  return defineOperation(geminiApi, {
    endpoint: method,
    route: { pattern: '/v1beta/models/:modelMethod', modelMethod: method },
    request: generateContentCodec,
    answers: generateContentAnswers,
    maxOutputTokens: (body) => nonNegativeInt(getEither(getEither(body, 'generationConfig', 'generation_config'), 'maxOutputTokens', 'max_output_tokens')),
    describe: ({ pathModel }) => ({ model: pathModel, stream }),
    prepare: () => ({ body: null, hideUsageChunk: false }),
    upstreamPath: (model, _stream, query) => geminiPath(model, method, query),
    // Without `alt=sse` Gemini streams one JSON array, passed through like a plain body.
    isSse: (isStream, query) => isStream && query.get('alt') === 'sse',
    observeStream() {
      let usage: TokenUsage | null = null;
      let final = false;
      return {
        onEvent(event) {
          // Every chunk carries the running totals; the last one wins, and is final once a
          // candidate says why it finished.
          if (event.data !== null && hasObjectKey(event.data, 'usageMetadata')) {
            const json = parseData(event.data);
            usage = geminiUsage(field(json, 'usageMetadata')) ?? usage;
            const candidates = field(json, 'candidates');
            final ||= Array.isArray(candidates) && candidates.some((c) => typeof field(c, 'finishReason') === 'string');
          }
          return true;
        },
        usage: () => usage,
        usageFinal: () => final,
      };
    },
    usageFromTail: (tail) => geminiUsage(lastObjectForKey(tail, 'usageMetadata')),
    requestText(body) {
      const contents = Array.isArray(body.contents) ? body.contents : [];
      const system = contentText(field(body.systemInstruction, 'parts'));
      return joinTexts([system, ...contents.map((c) => contentText(field(c, 'parts')))]);
    },
    responseText: candidatesText,
    streamText: candidatesText,
  });
}

/** `POST /v1beta/models/{model}:generateContent`. */
export const generateContent = generate('generateContent');

/** `POST /v1beta/models/{model}:streamGenerateContent` (SSE with `?alt=sse`). */
export const streamGenerateContent = generate('streamGenerateContent');
