import { describe, expect, it } from 'vitest';
import type { ModelPriceEntry } from '../wire/config.js';
import { findPrice } from './find-price.js';
import { catalogModels } from './catalog.js';

const modelOf = (name: string) => findPrice(name, [], new Date())?.model ?? null;

describe('price lookup', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-2024-05-13', 'gpt-4o-2024-05-13'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'],
    ['o3-2025-04-16', 'o3'],
    ['o4-mini-2025-04-16', 'o4-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['gpt-5-mini', 'gpt-5-mini'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4-0'],
    ['claude-sonnet-4@20250514', 'claude-sonnet-4-0'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['claude-opus-4-7', 'claude-opus-4-7'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet-latest'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'],
    ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['gemini-2.0-flash-exp', 'gemini-2.0-flash'],
    ['GPT-4o', 'gpt-4o'],
  ])('prices %s as the catalog entry %s', (name, expected) => {
    expect(modelOf(name)).toBe(expected);
  });

  it.each(['gpt-5-codex-max', 'whisper-1', 'llama-3-70b', 'mock-model', ''])('has no token price for %s', (name) => {
    expect(findPrice(name, [], new Date())).toBeNull();
  });

  it("prefers an organization's custom entry over the built-in one", () => {
    const negotiated: ModelPriceEntry = { model: 'gpt-4o', provider: 'openai', inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 1 };
    expect(findPrice('gpt-4o-2024-08-06', [negotiated], new Date())).toBe(negotiated);
  });

  it('finds custom models the table does not know', () => {
    const local: ModelPriceEntry = { model: 'llama-3-70b', provider: 'openai_compatible', inputPerMTok: 0, outputPerMTok: 0, cachedInputPerMTok: 0 };
    expect(findPrice('llama-3-70b', [local], new Date())).toBe(local);
    expect(findPrice('gpt-4o', [local], new Date())?.model).toBe('gpt-4o');
  });

  it('lists every catalog model once for discovery, each priced in integer micro-dollars', () => {
    const models = catalogModels(new Date());
    const names = models.map((p) => p.model);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['gpt-4o', 'claude-sonnet-4-5', 'gemini-2.5-pro']));
    for (const { model, provider } of models) {
      const price = findPrice(model, [], new Date())!;
      expect(price.provider).toBe(provider);
      for (const value of [price.inputPerMTok, price.outputPerMTok, price.cachedInputPerMTok, price.cacheWritePerMTok])
        expect(Number.isSafeInteger(value)).toBe(true);
    }
  });

  it('carries list prices in micro-dollars per million tokens, with cache writes and long-context tiers', () => {
    expect(findPrice('gpt-4o', [], new Date())).toMatchObject({ inputPerMTok: 2_500_000, outputPerMTok: 10_000_000, cachedInputPerMTok: 1_250_000 });
    expect(findPrice('claude-haiku-4-5', [], new Date())).toMatchObject({
      provider: 'anthropic',
      inputPerMTok: 1_000_000,
      cacheWritePerMTok: 1_250_000,
      cachedInputPerMTok: 100_000,
    });
    expect(findPrice('gemini-2.5-pro', [], new Date())).toMatchObject({
      provider: 'gemini',
      inputPerMTok: 1_250_000,
      outputPerMTok: 10_000_000,
      tiers: [{ aboveInputTokens: 200_000, inputPerMTok: 2_500_000, outputPerMTok: 15_000_000, cachedInputPerMTok: 250_000 }],
    });
  });

  it('uses the price in force on the day asked', () => {
    // claude-opus-4-6 had long-context tiers until Anthropic dropped them on 2026-03-13.
    expect(findPrice('claude-opus-4-6', [], new Date('2026-03-12T23:59:59Z'))?.tiers).toHaveLength(1);
    expect(findPrice('claude-opus-4-6', [], new Date('2026-03-13T00:00:00Z'))?.tiers).toEqual([]);
  });
});
