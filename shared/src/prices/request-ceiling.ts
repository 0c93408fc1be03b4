import type { OrgConfig } from '../wire/config.js';
import { costMicros } from './cost.js';
import { orgPrice } from './org-price.js';

/**
 * Output tokens assumed when a request does not cap its answer. Chosen near the largest answer
 * each kind of model usually gives, so a budget holds back enough without refusing ordinary
 * requests: reasoning models spend many hidden tokens, so they get more. An answer longer than
 * this is still charged in full at settlement (the budget may then end slightly over).
 */
export const DEFAULT_MAX_OUTPUT_TOKENS: readonly { readonly pattern: RegExp; readonly tokens: number }[] = Object.freeze([
  { pattern: /embedding/i, tokens: 0 },
  { pattern: /^(?:models\/)?(?:o1|o3|o4|gpt-5)(?:[-.@]|$)/i, tokens: 32_768 },
  { pattern: /^(?:models\/)?gemini-2\.5/i, tokens: 16_384 },
  { pattern: /./, tokens: 4_096 },
]);

/** Largest output cap believed from a request: a typo of 10^12 must not reserve a fortune. */
const MAX_BELIEVED_OUTPUT = 1_000_000;

/** What a request may cost at most, before it is forwarded. */
export interface RequestCeiling {
  /** Prompt tokens, estimated with the shared tokenizer. */
  readonly inputTokens: number;
  /** The request's own output cap, or the model's default. */
  readonly maxOutputTokens: number;
  /** Prompt plus output: charged to tokens-per-minute limits, and what a target's context window must hold. */
  readonly tokens: number;
  /** Integer micro-dollars at the model's price (or the organization's fallback); 0 without either. */
  readonly micros: number;
  /** False when neither the organization's custom models nor the built-in catalog price the model. */
  readonly priced: boolean;
}

/**
 * The most a request of `inputTokens` prompt tokens can cost: plus the output it asks for at
 * most (`requestedOutput`, otherwise `DEFAULT_MAX_OUTPUT_TOKENS`; raised to `translatedCap`, what
 * a target of another API family will be asked for; at most `MAX_BELIEVED_OUTPUT`), at the
 * model's price for the organization at `at` (`orgPrice`: custom models, the built-in catalog, then the
 * organization's fallback for unpriced models).
 */
export function requestCeiling(
  inputTokens: number,
  requestedOutput: number | null,
  model: string,
  org: Pick<OrgConfig, 'customModels' | 'unpricedModels'>,
  at: Date,
  translatedCap: number | null = null,
): RequestCeiling {
  const own = requestedOutput === null ? defaultMaxOutput(model) : requestedOutput;
  const maxOutputTokens = Math.min(Math.max(own, translatedCap ?? 0), MAX_BELIEVED_OUTPUT);
  const { price, listed } = orgPrice(model, org, at);
  const micros = price ? costMicros(price, { inputTokens, outputTokens: maxOutputTokens, cachedInputTokens: 0 }) : 0;
  return { inputTokens, maxOutputTokens, tokens: inputTokens + maxOutputTokens, micros, priced: listed };
}

/** The output tokens assumed for a model whose request sets no cap. */
function defaultMaxOutput(model: string): number {
  for (const { pattern, tokens } of DEFAULT_MAX_OUTPUT_TOKENS) if (pattern.test(model)) return tokens;
  return 4_096;
}
