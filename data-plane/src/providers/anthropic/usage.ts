import { count, field, type TokenUsage } from '../types.js';

/** Anthropic's raw usage fields; any may be missing from a given event. */
export interface AnthropicUsageFields {
  input?: number;
  cacheCreation?: number;
  cacheRead?: number;
  output?: number;
}

/** Merges the fields a usage object carries over what earlier events reported. */
export function mergeAnthropicUsage(into: AnthropicUsageFields, usage: unknown): void {
  if (usage === null || typeof usage !== 'object') return;
  const take = (name: string): number | undefined => {
    const value = field(usage, name);
    return typeof value === 'number' ? count(value) : undefined;
  };
  into.input = take('input_tokens') ?? into.input;
  into.cacheCreation = take('cache_creation_input_tokens') ?? into.cacheCreation;
  into.cacheRead = take('cache_read_input_tokens') ?? into.cacheRead;
  into.output = take('output_tokens') ?? into.output;
}

/**
 * Normalizes Anthropic usage: its `input_tokens` excludes cache reads and writes, which are
 * added back so `inputTokens` counts everything the prompt cost, with reads as the cached part
 * and writes as the cache-written part.
 */
export function anthropicUsage(fields: AnthropicUsageFields): TokenUsage | null {
  if (fields.input === undefined && fields.output === undefined) return null;
  const cacheRead = fields.cacheRead ?? 0;
  return {
    inputTokens: (fields.input ?? 0) + (fields.cacheCreation ?? 0) + cacheRead,
    outputTokens: fields.output ?? 0,
    cachedInputTokens: cacheRead,
    ...(fields.cacheCreation ? { cacheWriteInputTokens: fields.cacheCreation } : {}),
  };
}
