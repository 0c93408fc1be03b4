import { costMicros, orgPrice, type ApiFamily, type OrgConfig } from '@keyward/shared';
import { OPERATIONS } from '../providers/index.js';
import type { Operation } from '../providers/types.js';
import { promptTokens } from './prompt-tokens.js';

/** The tag on events of a model without a price of its own (charged at a fallback or at nothing). */
export const UNPRICED_TAG = 'unpriced';

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
export interface MaxCost {
  /** Prompt tokens, estimated with the shared tokenizer. */
  readonly inputTokens: number;
  /** The request's own output cap, or the model's default. */
  readonly maxOutputTokens: number;
  /** Prompt plus output: charged to tokens-per-minute limits. */
  readonly tokens: number;
  /** Integer micro-dollars at the model's price (or the organization's fallback); 0 without either. */
  readonly micros: number;
  /** False when neither the organization's custom models nor the built-in table price the model. */
  readonly priced: boolean;
}

/**
 * The most a request can cost: its prompt tokens (estimated with the real tokenizer) plus the
 * output it asks for at most (`max_completion_tokens`/`max_tokens` for OpenAI chat,
 * `max_output_tokens` for Responses, `max_tokens` for Anthropic,
 * `generationConfig.maxOutputTokens` for Gemini; otherwise `DEFAULT_MAX_OUTPUT_TOKENS`), at the
 * model's price for the organization (`orgPrice`: custom models, the built-in table, then the
 * organization's fallback for unpriced models).
 */
export function maxCostOf(
  api: ApiFamily,
  endpoint: string,
  body: Record<string, unknown>,
  model: string,
  org: Pick<OrgConfig, 'customModels' | 'unpricedModels'>,
): MaxCost {
  const op = operation(api, endpoint);
  const inputTokens = op ? promptTokens(body, op.requestText(body), model) : 0;
  const maxOutputTokens = endpoint === 'embeddings' ? 0 : (requestedMaxOutput(api, endpoint, body) ?? defaultMaxOutput(model));
  const { price, listed } = orgPrice(model, org);
  const micros = price ? costMicros(price, { inputTokens, outputTokens: maxOutputTokens, cachedInputTokens: 0 }) : 0;
  return { inputTokens, maxOutputTokens, tokens: inputTokens + maxOutputTokens, micros, priced: listed };
}

/** The output cap the request names, or null when it names none (or a nonsensical one). */
export function requestedMaxOutput(api: ApiFamily, endpoint: string, body: Record<string, unknown>): number | null {
  const candidates: unknown[] =
    api === 'anthropic'
      ? [body.max_tokens]
      : api === 'gemini'
        ? [fieldOf(body.generationConfig, 'maxOutputTokens') ?? fieldOf(body.generation_config, 'max_output_tokens')]
        : endpoint === 'responses'
          ? [body.max_output_tokens]
          : [body.max_completion_tokens, body.max_tokens];
  for (const value of candidates) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return Math.min(value, MAX_BELIEVED_OUTPUT);
  }
  return null;
}

/** The output tokens assumed for a model whose request sets no cap. */
export function defaultMaxOutput(model: string): number {
  for (const { pattern, tokens } of DEFAULT_MAX_OUTPUT_TOKENS) if (pattern.test(model)) return tokens;
  return 4_096;
}

const operationIndex = new Map<string, Operation>();
for (const [family, ops] of Object.entries(OPERATIONS)) {
  for (const op of Object.values(ops) as Operation[]) operationIndex.set(`${family}:${op.endpoint}`, op);
}

function operation(api: ApiFamily, endpoint: string): Operation | undefined {
  return operationIndex.get(`${api}:${endpoint}`);
}

function fieldOf(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}
