import type { ModelPriceEntry } from '../wire/config.js';

/** Token counts of one request. */
export interface TokenUsage {
  /** All prompt tokens, cached ones included (OpenAI's convention; add Anthropic's cache reads and writes to its input_tokens). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The part of `inputTokens` served from the provider's prompt cache. */
  readonly cachedInputTokens: number;
}

const TOKENS_PER_MILLION = 1_000_000n;

/**
 * The cost of a request in integer micro-dollars: uncached input, cached input and output at
 * their per-million prices, summed exactly (BigInt, so no float rounding and no overflow) and
 * rounded up, so partial micro-dollars never make usage free.
 */
export function costMicros(price: ModelPriceEntry, usage: TokenUsage): number {
  const input = tokens(usage.inputTokens, 'inputTokens');
  const output = tokens(usage.outputTokens, 'outputTokens');
  // Providers occasionally report more cached than total tokens on retries; never bill below zero.
  const cached = Math.min(tokens(usage.cachedInputTokens, 'cachedInputTokens'), input);
  const total =
    BigInt(input - cached) * BigInt(price.inputPerMTok) + BigInt(cached) * BigInt(price.cachedInputPerMTok) + BigInt(output) * BigInt(price.outputPerMTok);
  return Number((total + TOKENS_PER_MILLION - 1n) / TOKENS_PER_MILLION);
}

function tokens(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`costMicros needs "${field}" as a non-negative integer`);
  return value;
}
