/**
 * What the mock provider does for one request. Every field is optional; unset fields fall back
 * through the per-request header, the per-model setting, the global setting and the defaults,
 * in that order.
 */
export interface MockBehaviour {
  /** The completion text; split into `chunks` roughly equal pieces when streaming. */
  readonly text?: string;
  /** How many content deltas a stream carries (at least 1). */
  readonly chunks?: number;
  /** Pause between stream chunks, in milliseconds. */
  readonly intervalMs?: number;
  /** Pause before the status line and headers are sent, in milliseconds. */
  readonly firstByteDelayMs?: number;
  /** Tool calls the model "makes", after its text. */
  readonly toolCalls?: readonly MockToolCall[];
  /** Token counts reported in the provider's own usage fields. */
  readonly usage?: MockUsage;
  /** Answer with this error status and the provider's error body instead of a completion. */
  readonly error?: MockError;
  /** Stop sending after this many content chunks and keep the connection open. */
  readonly stallAfterChunks?: number;
  /**
   * Fail after this many content chunks: by resetting the connection, sending an error event, or
   * ending the response cleanly without the stream's last events (`end`).
   */
  readonly failAfterChunks?: number;
  readonly failWith?: 'reset' | 'event' | 'end';
}

interface MockToolCall {
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

interface MockUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cachedInputTokens?: number;
  /** Prompt tokens written to the prompt cache (reported by the Anthropic mock only), part of `inputTokens`. */
  readonly cacheWriteInputTokens?: number;
}

export interface MockError {
  readonly status: number;
  readonly message?: string;
  /** Provider-specific error type (e.g. `rate_limit_error`); a sensible one is derived from the status otherwise. */
  readonly type?: string;
  readonly code?: string;
  /** Sent as the `Retry-After` header (seconds), as providers do on 429 and 503. */
  readonly retryAfterSeconds?: number;
}

/** A behaviour with every field resolved. */
export interface ResolvedBehaviour {
  readonly text: string;
  readonly chunks: number;
  readonly intervalMs: number;
  readonly firstByteDelayMs: number;
  readonly toolCalls: readonly MockToolCall[];
  readonly usage: Required<MockUsage>;
  readonly error: MockError | null;
  readonly stallAfterChunks: number | null;
  readonly failAfterChunks: number | null;
  readonly failWith: 'reset' | 'event' | 'end';
}

/** The header a test sets to change one request's behaviour (a JSON `MockBehaviour`). */
export const BEHAVIOUR_HEADER = 'x-mock-behaviour';

const DEFAULTS = {
  text: 'Hello from the mock provider.',
  chunks: 3,
  intervalMs: 0,
  firstByteDelayMs: 0,
  toolCalls: [],
  usage: { inputTokens: 12, outputTokens: 7, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
  error: null,
  stallAfterChunks: null,
  failAfterChunks: null,
  failWith: 'reset',
} as const satisfies ResolvedBehaviour;

/** Merges behaviour layers, later layers winning, over the defaults. */
export function resolveBehaviour(layers: readonly (MockBehaviour | undefined)[]): ResolvedBehaviour {
  let merged: MockBehaviour = {};
  for (const layer of layers) {
    if (layer) merged = { ...merged, ...layer, usage: { ...merged.usage, ...layer.usage } };
  }
  return {
    text: merged.text ?? DEFAULTS.text,
    chunks: Math.max(1, merged.chunks ?? DEFAULTS.chunks),
    intervalMs: merged.intervalMs ?? DEFAULTS.intervalMs,
    firstByteDelayMs: merged.firstByteDelayMs ?? DEFAULTS.firstByteDelayMs,
    toolCalls: merged.toolCalls ?? DEFAULTS.toolCalls,
    usage: { ...DEFAULTS.usage, ...merged.usage },
    error: merged.error ?? DEFAULTS.error,
    stallAfterChunks: merged.stallAfterChunks ?? DEFAULTS.stallAfterChunks,
    failAfterChunks: merged.failAfterChunks ?? DEFAULTS.failAfterChunks,
    failWith: merged.failWith ?? DEFAULTS.failWith,
  };
}

/** Reads the per-request behaviour header; a malformed header is a test bug, so it throws. */
export function behaviourFromHeader(value: string | string[] | undefined): MockBehaviour | undefined {
  if (value === undefined) return undefined;
  const raw = Array.isArray(value) ? value[0] : value;
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`${BEHAVIOUR_HEADER} must be a JSON object`);
  }
  return parsed as MockBehaviour;
}

/** Splits text into `count` pieces whose concatenation is the text (empty pieces allowed). */
export function splitText(text: string, count: number): string[] {
  const size = Math.ceil(text.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) pieces.push(text.slice(i * size, (i + 1) * size));
  return pieces;
}
