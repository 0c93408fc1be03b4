import type { ApiFamily } from '@keyward/shared';
import { messagesCodec } from './anthropic.js';
import { generateContentCodec } from './gemini.js';
import { chatCompletionsCodec, embeddingsCodec, responsesCodec } from './openai.js';
import type { RequestCodec } from './types.js';

const CODECS: Readonly<Record<string, RequestCodec>> = {
  'openai:chat.completions': chatCompletionsCodec,
  'openai:responses': responsesCodec,
  'openai:embeddings': embeddingsCodec,
  'anthropic:messages': messagesCodec,
  'gemini:generateContent': generateContentCodec,
  'gemini:streamGenerateContent': generateContentCodec,
};

/** The request codec of a proxied endpoint, or null for one without a body worth reading. */
export function requestCodec(api: ApiFamily, endpoint: string): RequestCodec | null {
  return CODECS[`${api}:${endpoint}`] ?? null;
}

export { EXTRACT_ALL, type ExtractNeeds, type ExtractedRequest, type RequestCodec } from './types.js';
