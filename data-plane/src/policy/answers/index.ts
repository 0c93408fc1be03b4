import type { ApiFamily } from '@keyward/shared';
import { messagesAnswers } from './anthropic.js';
import { generateContentAnswers } from './gemini.js';
import { chatCompletionsAnswers } from './openai-chat.js';
import { responsesAnswers } from './openai-responses.js';
import type { AnswerCodec } from './types.js';

/** Answers without text or tool calls (embeddings): nothing to restore or assemble. */
const NO_TEXT: AnswerCodec = {
  restorer: () => ({ event: () => null, end: () => [], body: (json) => json }),
  inspector: () => ({ event: () => false, body: () => undefined, text: () => '', toolCalls: () => [] }),
};

const CODECS: Readonly<Record<string, AnswerCodec>> = {
  'openai:chat.completions': chatCompletionsAnswers,
  'openai:responses': responsesAnswers,
  'anthropic:messages': messagesAnswers,
  'gemini:generateContent': generateContentAnswers,
  'gemini:streamGenerateContent': generateContentAnswers,
};

/** How answers of an endpoint carry text and tool calls. */
export function answerCodec(api: ApiFamily, endpoint: string): AnswerCodec {
  return CODECS[`${api}:${endpoint}`] ?? NO_TEXT;
}

export type { AnswerCodec, AnswerInspector, AnswerRestorer, Payload } from './types.js';
