import type { ModelPriceEntry, ProviderKind } from '../wire/config.js';

/** When the built-in list prices were last checked against the providers' public pricing pages. */
export const PRICE_TABLE_AS_OF = '2025-11';

/**
 * Dollars per million tokens in, integer micro-dollars per million tokens out. Models without a
 * cache discount list their input price as the cached price, so a stray cached count never
 * makes a request cheaper than it is.
 */
function price(provider: ProviderKind, model: string, input: number, output: number, cachedInput = input): ModelPriceEntry {
  const micros = (dollars: number) => Math.round(dollars * 1_000_000);
  return Object.freeze({
    model,
    provider,
    inputPerMTok: micros(input),
    outputPerMTok: micros(output),
    cachedInputPerMTok: micros(cachedInput),
  });
}

/**
 * Public list prices (standard tier, no batch discount) of current models. Providers with
 * long-context tiers (Gemini above 200k tokens, 128k for 1.5) are listed at the base tier;
 * Anthropic's cache writes are not modelled (cache reads are the cached-input price).
 * Organizations override or extend this with custom models.
 */
export const BUILT_IN_PRICES: readonly ModelPriceEntry[] = Object.freeze([
  // OpenAI
  price('openai', 'gpt-5', 1.25, 10, 0.125),
  price('openai', 'gpt-5.1', 1.25, 10, 0.125),
  price('openai', 'gpt-5-chat-latest', 1.25, 10, 0.125),
  price('openai', 'gpt-5-mini', 0.25, 2, 0.025),
  price('openai', 'gpt-5-nano', 0.05, 0.4, 0.005),
  price('openai', 'gpt-5-pro', 15, 120),
  price('openai', 'gpt-4.1', 2, 8, 0.5),
  price('openai', 'gpt-4.1-mini', 0.4, 1.6, 0.1),
  price('openai', 'gpt-4.1-nano', 0.1, 0.4, 0.025),
  price('openai', 'gpt-4o', 2.5, 10, 1.25),
  price('openai', 'gpt-4o-2024-05-13', 5, 15),
  price('openai', 'chatgpt-4o-latest', 5, 15),
  price('openai', 'gpt-4o-mini', 0.15, 0.6, 0.075),
  price('openai', 'o1', 15, 60, 7.5),
  price('openai', 'o1-mini', 1.1, 4.4, 0.55),
  price('openai', 'o1-pro', 150, 600),
  price('openai', 'o3', 2, 8, 0.5),
  price('openai', 'o3-mini', 1.1, 4.4, 0.55),
  price('openai', 'o3-pro', 20, 80),
  price('openai', 'o4-mini', 1.1, 4.4, 0.275),
  price('openai', 'gpt-4-turbo', 10, 30),
  price('openai', 'gpt-4-1106-preview', 10, 30),
  price('openai', 'gpt-4-0125-preview', 10, 30),
  price('openai', 'gpt-4', 30, 60),
  price('openai', 'gpt-3.5-turbo', 0.5, 1.5),
  price('openai', 'text-embedding-3-small', 0.02, 0),
  price('openai', 'text-embedding-3-large', 0.13, 0),
  price('openai', 'text-embedding-ada-002', 0.1, 0),
  // Anthropic
  price('anthropic', 'claude-opus-4-5', 5, 25, 0.5),
  price('anthropic', 'claude-opus-4-1', 15, 75, 1.5),
  price('anthropic', 'claude-opus-4', 15, 75, 1.5),
  price('anthropic', 'claude-opus-4-0', 15, 75, 1.5),
  price('anthropic', 'claude-sonnet-4-5', 3, 15, 0.3),
  price('anthropic', 'claude-sonnet-4', 3, 15, 0.3),
  price('anthropic', 'claude-sonnet-4-0', 3, 15, 0.3),
  price('anthropic', 'claude-haiku-4-5', 1, 5, 0.1),
  price('anthropic', 'claude-3-7-sonnet', 3, 15, 0.3),
  price('anthropic', 'claude-3-5-sonnet', 3, 15, 0.3),
  price('anthropic', 'claude-3-5-haiku', 0.8, 4, 0.08),
  price('anthropic', 'claude-3-opus', 15, 75, 1.5),
  price('anthropic', 'claude-3-haiku', 0.25, 1.25, 0.03),
  // Gemini
  price('gemini', 'gemini-3-pro-preview', 2, 12, 0.2),
  price('gemini', 'gemini-2.5-pro', 1.25, 10, 0.125),
  price('gemini', 'gemini-2.5-flash', 0.3, 2.5, 0.03),
  price('gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 0.01),
  price('gemini', 'gemini-2.0-flash', 0.1, 0.4, 0.025),
  price('gemini', 'gemini-2.0-flash-lite', 0.075, 0.3),
  price('gemini', 'gemini-1.5-pro', 1.25, 5, 0.3125),
  price('gemini', 'gemini-1.5-flash', 0.075, 0.3, 0.01875),
  price('gemini', 'gemini-1.5-flash-8b', 0.0375, 0.15, 0.01),
  price('gemini', 'gemini-embedding-001', 0.15, 0),
]);
