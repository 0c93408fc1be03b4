import { describe, expect, it } from 'vitest';
import type { ModelPriceEntry } from '../wire/config.js';
import { findPrice } from './find-price.js';
import { BUILT_IN_PRICES } from './table.js';

const modelOf = (name: string) => findPrice(name, [])?.model ?? null;

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
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4@20250514', 'claude-sonnet-4'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
    ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-preview-05-20', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['gemini-2.0-flash-exp', 'gemini-2.0-flash'],
    ['GPT-4o', 'gpt-4o'],
  ])('prices %s as %s', (name, expected) => {
    expect(modelOf(name)).toBe(expected);
  });

  it.each(['gpt-4o-audio-preview', 'gpt-5-codex-max', 'claude-opus-4-7', 'gemini-2.5-flash-image', 'llama-3-70b', ''])(
    'does not guess a price for %s, which is a different model',
    (name) => {
      expect(findPrice(name, [])).toBeNull();
    },
  );

  it("prefers an organization's custom entry over the built-in one", () => {
    const negotiated: ModelPriceEntry = { model: 'gpt-4o', provider: 'openai', inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 1 };
    expect(findPrice('gpt-4o-2024-08-06', [negotiated])).toBe(negotiated);
  });

  it('finds custom models the table does not know', () => {
    const local: ModelPriceEntry = { model: 'llama-3-70b', provider: 'openai_compatible', inputPerMTok: 0, outputPerMTok: 0, cachedInputPerMTok: 0 };
    expect(findPrice('llama-3-70b', [local])).toBe(local);
    expect(findPrice('gpt-4o', [local])?.model).toBe('gpt-4o');
  });

  it('lists every built-in model once, with integer prices', () => {
    const names = BUILT_IN_PRICES.map((p) => p.model);
    expect(new Set(names).size).toBe(names.length);
    for (const p of BUILT_IN_PRICES) {
      for (const value of [p.inputPerMTok, p.outputPerMTok, p.cachedInputPerMTok]) expect(Number.isSafeInteger(value)).toBe(true);
      expect(p.cachedInputPerMTok).toBeLessThanOrEqual(p.inputPerMTok);
    }
  });

  it('carries public list prices in micro-dollars per million tokens', () => {
    expect(findPrice('gpt-4o', [])).toMatchObject({ inputPerMTok: 2_500_000, outputPerMTok: 10_000_000, cachedInputPerMTok: 1_250_000 });
    expect(findPrice('claude-sonnet-4', [])).toMatchObject({ provider: 'anthropic', inputPerMTok: 3_000_000, outputPerMTok: 15_000_000 });
    expect(findPrice('gemini-1.5-flash-8b', [])).toMatchObject({ provider: 'gemini', inputPerMTok: 37_500 });
  });
});
