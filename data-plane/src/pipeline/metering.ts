import { costMicros, estimateTokens, findPrice } from '@keyward/shared';
import type { RequestRecord } from './record.js';

/**
 * Fills in usage a provider never reported (a stream cut short, a provider that omits it) with
 * tokenizer estimates of the prompt and of the completion text seen, tagged so reports can
 * tell estimates from provider counts. Only for requests that reached the provider.
 */
export function estimateMissingUsage(record: RequestRecord, requestText: () => string, responseText: () => string): void {
  if (record.usage !== null || record.credential === null || record.model === null) return;
  if (record.status < 200 || record.status >= 300) return;
  record.usage = {
    inputTokens: estimateTokens(requestText(), record.model),
    outputTokens: estimateTokens(responseText(), record.model),
    cachedInputTokens: 0,
  };
  record.tags.push('usage_estimated');
}

/** Prices the recorded usage from the org's custom models, then the built-in table. */
export function priceRecord(record: RequestRecord): void {
  if (!record.usage || !record.org || !record.model) return;
  const price = findPrice(record.model, record.org.customModels);
  if (!price) {
    record.tags.push('unpriced_model');
    return;
  }
  record.costMicros = costMicros(price, record.usage);
}
