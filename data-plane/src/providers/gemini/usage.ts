import { count, field, type TokenUsage } from '../types.js';

/**
 * Gemini's `usageMetadata`: thinking tokens are billed as output, tool-use prompt tokens as
 * input, and `promptTokenCount` already includes cached content.
 */
export function geminiUsage(metadata: unknown): TokenUsage | null {
  if (metadata === null || typeof metadata !== 'object') return null;
  return {
    inputTokens: count(field(metadata, 'promptTokenCount')) + count(field(metadata, 'toolUsePromptTokenCount')),
    outputTokens: count(field(metadata, 'candidatesTokenCount')) + count(field(metadata, 'thoughtsTokenCount')),
    cachedInputTokens: count(field(metadata, 'cachedContentTokenCount')),
  };
}
