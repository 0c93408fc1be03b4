import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { encodingForModel, estimateTokens } from './tokens.js';

describe('token estimates', () => {
  it('uses o200k_base for the GPT-4o, 4.1, o-series and GPT-5 families', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4.1-nano', 'o3', 'o4-mini', 'gpt-5', 'chatgpt-4o-latest']) {
      expect(encodingForModel(model)).toBe('o200k_base');
    }
  });

  it('uses cl100k_base for other models', () => {
    for (const model of ['gpt-4', 'gpt-3.5-turbo', 'claude-sonnet-4', 'gemini-2.5-pro', 'o3x']) {
      expect(encodingForModel(model)).toBe('cl100k_base');
    }
  });

  it('counts known encodings exactly for short text', () => {
    expect(estimateTokens('hello world', 'gpt-4o')).toBe(2);
    expect(estimateTokens('hello world', 'gpt-4')).toBe(2);
    expect(estimateTokens('', 'gpt-4o')).toBe(0);
  });

  it('treats special-token text in a prompt as ordinary text', () => {
    expect(estimateTokens('a <|endoftext|> b', 'gpt-4')).toBeGreaterThan(3);
  });

  it('estimates long text from samples, within 5% of the exact count', () => {
    const words = 'gateway forwards each request with the real credential and records usage 1234 {"a": [1, 2]} ключ'.split(' ');
    const text = Array.from({ length: 30_000 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    const exact = new Tiktoken(o200k).encode(text, [], []).length;
    const estimate = estimateTokens(text, 'gpt-4o');
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
  });

  it('estimates a large prompt quickly once loaded', () => {
    const text = 'x'.repeat(100) + 'Ünïcödé text and code: function f() { return 1; }\n'.repeat(20_000);
    estimateTokens('warm', 'gpt-4o');
    const started = performance.now();
    estimateTokens(text, 'gpt-4o');
    expect(performance.now() - started).toBeLessThan(100);
  });
});
