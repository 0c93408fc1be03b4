import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { BpeCounter } from './bpe-counter.js';

const base64 = (text: string): string => Buffer.from(text, 'latin1').toString('base64');

describe('byte-pair token counter', () => {
  it('counts each piece as js-tiktoken encodes it, for both encodings', () => {
    const pieces = ['hello', ' world', ' naïve', ' façade', 'Ключ', '鍵', ' 🙂🚀', '<|endoftext|>', '\r\n\r\n', ' '.repeat(40), 'x'.repeat(300), '123', "'ll"];
    for (const ranks of [o200k, cl100k]) {
      const counter = new BpeCounter(ranks.bpe_ranks);
      const encoder = new Tiktoken(ranks);
      for (const piece of pieces) expect(counter.count(piece)).toBe(encoder.encode(piece, [], []).length);
    }
  });

  it('merges the pair of lowest rank first, and keeps the last rank of a token listed twice', () => {
    // Bytes a, b, c; then "bc" (rank 3) before "ab" (rank 4): "abc" is a + bc, and no "abc" token.
    const ranks = `! 0 ${['a', 'b', 'c', 'bc', 'ab'].map(base64).join(' ')}\n! 5 ${base64('ab')}`;
    const counter = new BpeCounter(ranks);
    expect(counter.count('abc')).toBe(2);
    expect(counter.count('ab')).toBe(1);
    expect(counter.count('ca')).toBe(2);
  });

  it('refuses a rank file it cannot read', () => {
    expect(() => new BpeCounter('not ranks')).toThrow(SyntaxError);
  });
});
