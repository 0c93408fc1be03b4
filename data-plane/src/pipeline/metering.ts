import { costMicros, estimateTokens, orgPrice } from '@keyward/shared';
import { UNPRICED_TAG } from '../estimate/max-cost.js';
import type { RequestRecord } from './record.js';

/**
 * Fills in usage a provider never reported in full (a stream cut short by the agent or the
 * provider, a provider that omits it) with tokenizer estimates of the prompt and of the
 * completion text relayed, tagged `usage_estimated` so reports can tell estimates from provider
 * counts. Counts the provider did report before the cut (Anthropic's input side, Gemini's
 * running totals) are kept, and are a floor for the output estimate. Only for requests that
 * reached the provider.
 */
export function estimateMissingUsage(record: RequestRecord, requestText: () => string, responseText: () => string): void {
  if (record.usage !== null || record.credential === null || record.model === null) return;
  if (record.status < 200 || record.status >= 300) return;
  const partial = record.partialUsage;
  record.usage = {
    inputTokens: partial && partial.inputTokens > 0 ? partial.inputTokens : estimateTokens(requestText(), record.model),
    outputTokens: Math.max(partial?.outputTokens ?? 0, estimateTokens(responseText(), record.model)),
    cachedInputTokens: partial?.cachedInputTokens ?? 0,
  };
  record.tags.push('usage_estimated');
}

/**
 * Prices the recorded usage at the prices in force when the request arrived: the org's custom
 * models, then the built-in catalog, then the organization's fallback for unpriced models; an
 * unpriced model's event is tagged `unpriced`.
 */
export function priceRecord(record: RequestRecord): void {
  if (!record.usage || !record.org || !record.model) return;
  const { price, listed } = orgPrice(record.model, record.org, new Date(record.startedAt));
  if (!listed && !record.tags.includes(UNPRICED_TAG)) record.tags.push(UNPRICED_TAG);
  if (price) record.costMicros = costMicros(price, record.usage);
}
