import type { ModelPrice } from './model-price.js';

/** Token counts of one request. */
export interface TokenUsage {
  /** All prompt tokens, cached and cache-written ones included (OpenAI's convention; add Anthropic's cache reads and writes to its input_tokens). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The part of `inputTokens` served from the provider's prompt cache. */
  readonly cachedInputTokens: number;
  /** The part of `inputTokens` written to the provider's prompt cache (Anthropic's `cache_creation_input_tokens`). */
  readonly cacheWriteInputTokens?: number;
}

const TOKENS_PER_MILLION = 1_000_000n;

/**
 * The cost of a request in integer micro-dollars: uncached input, cache reads, cache writes and
 * output at their per-million prices — the whole request at a long-context tier's rates when its
 * prompt is above that tier's threshold — summed exactly (BigInt, so no float rounding and no
 * overflow) and rounded up, so partial micro-dollars never make usage free.
 */
export function costMicros(price: ModelPrice, usage: TokenUsage): number {
  const input = tokens(usage.inputTokens, 'inputTokens');
  const output = tokens(usage.outputTokens, 'outputTokens');
  // Providers occasionally report more cached than total tokens on retries; never bill below zero.
  const cached = Math.min(tokens(usage.cachedInputTokens, 'cachedInputTokens'), input);
  const written = Math.min(tokens(usage.cacheWriteInputTokens ?? 0, 'cacheWriteInputTokens'), input - cached);
  const rates = tierFor(price, input);
  const total =
    BigInt(input - cached - written) * BigInt(rates.inputPerMTok) +
    BigInt(cached) * BigInt(rates.cachedInputPerMTok) +
    BigInt(written) * BigInt(rates.cacheWritePerMTok ?? rates.inputPerMTok) +
    BigInt(output) * BigInt(rates.outputPerMTok);
  return Number((total + TOKENS_PER_MILLION - 1n) / TOKENS_PER_MILLION);
}

/** The rates for a prompt of `inputTokens`: the highest tier it is above, else the base price. */
function tierFor(price: ModelPrice, inputTokens: number): Omit<ModelPrice, 'model' | 'provider' | 'tiers'> {
  let rates: Omit<ModelPrice, 'model' | 'provider' | 'tiers'> = price;
  for (const tier of price.tiers ?? []) if (inputTokens > tier.aboveInputTokens) rates = tier;
  return rates;
}

function tokens(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`costMicros needs "${field}" as a non-negative integer`);
  return value;
}
