import { GatewayError } from '../errors.js';
import type { Operation, TokenUsage } from '../providers/index.js';

/** Turns a target's streamed answer into the agent's, whatever the chunk boundaries. */
export interface StreamTranslator {
  /** Feeds bytes of the target's stream; returns the agent's bytes they complete (maybe none). */
  push(chunk: Buffer): Buffer;
  /** The target's stream ended: the agent's closing bytes (a last event, `data: [DONE]`). */
  end(): Buffer;
  /**
   * The error that ended the answer, already written to the agent as its stream error event: the
   * target's own error event, or `stream_interrupted` when it ended before its last event. Null
   * while the answer is whole.
   */
  failure(): GatewayError | null;
}

/** Where the translated request goes below the target credential's base URL. */
export interface UpstreamCall {
  /** The target operation that serves it (Gemini has one per method). */
  readonly operation: Operation;
  /** The path with its query, e.g. `/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`. */
  readonly path: string;
  readonly stream: boolean;
}

/**
 * Carries requests of the agent's operation (`from`) to a target operation of another API family
 * (`to`) and the answers back. Every method is pure; `stream()` returns a fresh transformer per
 * answer. A request the target cannot carry faithfully throws GatewayError 400 `untranslatable`
 * naming the feature.
 */
export interface Translator {
  readonly from: Operation;
  readonly to: Operation;
  /** The agent's request body as the target's, for `targetModel`. */
  request(body: Record<string, unknown>, targetModel: string): Record<string, unknown>;
  /** Where the translated request is sent and whether its answer is a stream. */
  upstream(body: Record<string, unknown>, targetModel: string): UpstreamCall;
  /** A whole (non-streamed) target answer as the agent's answer. */
  answer(json: unknown): unknown;
  /** A transformer for one streamed answer to the agent's request `body`. */
  stream(body: Record<string, unknown>): StreamTranslator;
  /** A target error answer (its status and parsed body) as the agent's error body. */
  error(status: number, body: unknown): string;
  /** The token counts a whole target answer reports (inputs include cached ones), or null. */
  usage(json: unknown): TokenUsage | null;
}

/** The part of a translator each pair writes; `translatorFor` adds the rest. */
export interface PairTranslation {
  request(body: Record<string, unknown>, targetModel: string): Record<string, unknown>;
  answer(json: unknown): unknown;
  stream(body: Record<string, unknown>): StreamTranslator;
  /** Whether the agent asked for a stream. */
  streams(body: Record<string, unknown>): boolean;
}

/**
 * The one way a translation refuses: 400 `untranslatable`, naming the feature and the target, so
 * the agent is never sent a silently different request.
 */
export function untranslatable(feature: string, target: string, hint = ''): GatewayError {
  return new GatewayError('untranslatable', 400, `${feature} cannot be translated to ${target}${hint ? `: ${hint}` : ''}.`);
}
