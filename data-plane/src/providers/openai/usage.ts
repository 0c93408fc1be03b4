import { count, field, type TokenUsage } from '../types.js';

/**
 * OpenAI's usage object in any of its shapes: chat and embeddings (`prompt_tokens`,
 * `completion_tokens`, `prompt_tokens_details.cached_tokens`) and Responses (`input_tokens`,
 * `output_tokens`, `input_tokens_details.cached_tokens`). Cached tokens are part of the input.
 */
export function openaiUsage(usage: unknown): TokenUsage | null {
  if (usage === null || typeof usage !== 'object') return null;
  const details = field(usage, 'prompt_tokens_details') ?? field(usage, 'input_tokens_details');
  return {
    inputTokens: count(field(usage, 'prompt_tokens') ?? field(usage, 'input_tokens')),
    outputTokens: count(field(usage, 'completion_tokens') ?? field(usage, 'output_tokens')),
    cachedInputTokens: count(field(details, 'cached_tokens')),
  };
}
