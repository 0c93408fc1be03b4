import { messages } from '../providers/anthropic/messages/index.js';
import { generateContent, streamGenerateContent } from '../providers/gemini/generate-content/index.js';
import type { ApiFamily } from '@keyward/shared';
import type { Operation } from '../providers/index.js';
import { chatCompletions } from '../providers/openai/chat-completions/index.js';
import { anthropicToOpenai } from './anthropic-to-openai.js';
import { geminiStreamToOpenai, geminiToOpenai } from './gemini-to-openai.js';
import type { PairTranslation, Translator } from './contract.js';
import { upstreamFailure } from './errors.js';
import { openaiToAnthropic } from './openai-to-anthropic.js';
import { openaiToGemini } from './openai-to-gemini.js';
import { throughChat } from './through-chat.js';

/** A supported pair: the agent's operation, the target's (each Gemini method names the pair), and how to translate. */
interface Pair {
  readonly from: Operation;
  readonly to: readonly Operation[];
  /** The target operation serving a request, by whether it streams. */
  readonly target: (stream: boolean) => Operation;
  readonly translation: PairTranslation;
}

const PAIRS: readonly Pair[] = [
  { from: chatCompletions, to: [messages], target: () => messages, translation: openaiToAnthropic },
  {
    from: chatCompletions,
    to: [generateContent, streamGenerateContent],
    target: (stream) => (stream ? streamGenerateContent : generateContent),
    translation: openaiToGemini,
  },
  { from: messages, to: [chatCompletions], target: () => chatCompletions, translation: anthropicToOpenai },
  { from: generateContent, to: [chatCompletions], target: () => chatCompletions, translation: geminiToOpenai },
  { from: streamGenerateContent, to: [chatCompletions], target: () => chatCompletions, translation: geminiStreamToOpenai },
  // Anthropic and Gemini into each other, through OpenAI Chat Completions.
  {
    from: messages,
    to: [generateContent, streamGenerateContent],
    target: (stream) => (stream ? streamGenerateContent : generateContent),
    translation: throughChat(anthropicToOpenai, openaiToGemini, 'Gemini generateContent'),
  },
  { from: generateContent, to: [messages], target: () => messages, translation: throughChat(geminiToOpenai, openaiToAnthropic, 'Anthropic Messages') },
  {
    from: streamGenerateContent,
    to: [messages],
    target: () => messages,
    translation: throughChat(geminiStreamToOpenai, openaiToAnthropic, 'Anthropic Messages'),
  },
];

const NO_QUERY = new URLSearchParams();
const SSE_QUERY = new URLSearchParams({ alt: 'sse' });

/**
 * The translator that carries requests of the agent's operation `from` to the target operation
 * `to` (of another API family) and the answers back, or undefined when the pair is not supported.
 * Either Gemini method names the Gemini target; the translator picks `streamGenerateContent`
 * (with `alt=sse`) for a streamed request.
 */
export function translatorFor(from: Operation, to: Operation): Translator | undefined {
  const pair = PAIRS.find((p) => p.from === from && p.to.includes(to));
  if (!pair) return undefined;
  const { translation } = pair;
  return {
    from,
    to,
    request: (body, targetModel) => translation.request(body, targetModel),
    upstream(body, targetModel) {
      const stream = translation.streams(body);
      const operation = pair.target(stream);
      return { operation, stream, path: operation.upstreamPath(targetModel, stream, stream && operation.family === 'gemini' ? SSE_QUERY : NO_QUERY) };
    },
    answer: (json) => translation.answer(json),
    stream: (body) => translation.stream(body),
    error: (status, body) => from.errors.errorBody(upstreamFailure(status, body)),
    usage: (json) => to.usageFromTail(JSON.stringify(json)),
  };
}

const byFamily = new Map<string, Translator | null>();

/**
 * The translator that carries requests of `from` to a credential of another API family (its
 * chat operation: Chat Completions, Messages or `generateContent`), or undefined when that family
 * speaks `from` natively or no pair covers it. One translator per pair, made on first use.
 */
export function translatorToFamily(from: Operation, family: ApiFamily): Translator | undefined {
  if (from.family === family) return undefined;
  const key = `${from.family}:${from.endpoint}:${family}`;
  let translator = byFamily.get(key);
  if (translator === undefined) {
    const pair = PAIRS.find((p) => p.from === from && p.to[0].family === family);
    byFamily.set(key, (translator = pair ? translatorFor(from, pair.to[0])! : null));
  }
  return translator ?? undefined;
}

export type { StreamTranslator, Translator, UpstreamCall } from './contract.js';
