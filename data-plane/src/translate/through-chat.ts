import { GatewayError } from '../errors.js';
import type { PairTranslation, StreamTranslator } from './contract.js';

/** The name the agent-side leg gives its target (the pivot) in its refusals. */
const PIVOT = 'OpenAI Chat Completions';

/**
 * Anthropic Messages and Gemini agents served by each other's targets, in two legs through OpenAI
 * Chat Completions: the agent's request becomes a Chat request (`toChat`, the pair that serves
 * this agent from an OpenAI target), which becomes the target's (`fromChat`, the pair that serves
 * an OpenAI agent from this target); answers and streams come back the other way. Whatever
 * either leg cannot carry is refused as either refuses it, naming the real target.
 */
export function throughChat(toChat: PairTranslation, fromChat: PairTranslation, target: string): PairTranslation {
  return {
    request(body, targetModel) {
      let chat: Record<string, unknown>;
      try {
        chat = toChat.request(body, targetModel);
      } catch (error) {
        throw error instanceof GatewayError && error.code === 'untranslatable'
          ? new GatewayError('untranslatable', error.status, error.message.replace(`translated to ${PIVOT}`, `translated to ${target}`))
          : error;
      }
      return fromChat.request(chat, targetModel);
    },
    answer: (json) => toChat.answer(fromChat.answer(json)),
    // The middle stream always carries its usage chunk: the agent's leg reads the tokens from it.
    stream: (body) => chained(fromChat.stream({ stream: true, stream_options: { include_usage: true } }), toChat.stream(body)),
    streams: (body) => toChat.streams(body),
  };
}

/** The target's bytes through `first` (to Chat chunks), then `second` (to the agent's events). */
function chained(first: StreamTranslator, second: StreamTranslator): StreamTranslator {
  return {
    push: (chunk) => second.push(first.push(chunk)),
    end: () => Buffer.concat([second.push(first.end()), second.end()]),
    failure: () => first.failure() ?? second.failure(),
  };
}
