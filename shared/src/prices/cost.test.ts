import { describe, expect, it } from 'vitest';
import type { ModelPriceEntry } from '../wire/config.js';
import { costMicros } from './cost.js';
import { findPrice } from './find-price.js';

const gpt4o: ModelPriceEntry = { model: 'gpt-4o', provider: 'openai', inputPerMTok: 2_500_000, outputPerMTok: 10_000_000, cachedInputPerMTok: 1_250_000 };

describe('request cost', () => {
  it('charges a million input and output tokens their list prices', () => {
    expect(costMicros(gpt4o, { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 0 })).toBe(12_500_000);
  });

  it('charges cached input at the cached price, out of the input total', () => {
    // 600 uncached × 2.5 + 400 cached × 1.25 + 100 output × 10 = 1500 + 500 + 1000 micro-dollars.
    expect(costMicros(gpt4o, { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400 })).toBe(3000);
  });

  it('rounds a partial micro-dollar up, so tiny requests are never free', () => {
    expect(costMicros(gpt4o, { inputTokens: 1, outputTokens: 0, cachedInputTokens: 0 })).toBe(3);
    expect(costMicros(gpt4o, { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 })).toBe(0);
  });

  it('stays exact for counts far beyond float precision', () => {
    const pricey: ModelPriceEntry = { ...gpt4o, outputPerMTok: 600_000_000 };
    expect(costMicros(pricey, { inputTokens: 0, outputTokens: 4_000_000_000_000, cachedInputTokens: 0 })).toBe(2_400_000_000_000_000);
  });

  it('never bills cached tokens beyond the input total', () => {
    expect(costMicros(gpt4o, { inputTokens: 100, outputTokens: 0, cachedInputTokens: 500 })).toBe(125);
  });

  it('names the bad count', () => {
    expect(() => costMicros(gpt4o, { inputTokens: -1, outputTokens: 0, cachedInputTokens: 0 })).toThrow(
      'costMicros needs "inputTokens" as a non-negative integer',
    );
    expect(() => costMicros(gpt4o, { inputTokens: 1, outputTokens: 0.5, cachedInputTokens: 0 })).toThrow(/"outputTokens"/);
  });

  it('charges Anthropic cache writes at their own price, apart from reads and uncached input', () => {
    const sonnet = findPrice('claude-sonnet-4-5', [], new Date())!;
    // 3,000 uncached × $3 + 2,000 read × $0.30 + 5,000 written × $3.75 + 500 output × $15 per million.
    expect(costMicros(sonnet, { inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 2_000, cacheWriteInputTokens: 5_000 })).toBe(
      9_000 + 600 + 18_750 + 7_500,
    );
  });

  it("charges a whole Gemini request at the long-context tier once its prompt is above the tier's threshold", () => {
    const pro = findPrice('gemini-2.5-pro', [], new Date())!;
    expect(costMicros(pro, { inputTokens: 200_000, outputTokens: 1_000, cachedInputTokens: 0 })).toBe(250_000 + 10_000);
    expect(costMicros(pro, { inputTokens: 200_001, outputTokens: 1_000, cachedInputTokens: 0 })).toBe(500_003 + 15_000);
  });
});
