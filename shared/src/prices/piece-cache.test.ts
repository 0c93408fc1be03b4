import { describe, expect, it } from 'vitest';
import { PieceCache } from './piece-cache.js';
import { prng } from './seeded-random.test-support.js';

/** `text` as the cache reads it: bytes in a DataView, followed by padding full of junk that must be ignored. */
function viewOf(text: string): DataView {
  const bytes = new Uint8Array(text.length + 8).fill(0x7a);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new DataView(bytes.buffer);
}

/** Looks up `piece` at an unaligned offset of a larger text. */
function lookup(cache: PieceCache, piece: string, offset = 3): number {
  const view = viewOf('#'.repeat(offset) + piece + '~~~');
  return cache.get(view, offset, offset + piece.length);
}

function remember(cache: PieceCache, piece: string, tokens: number, offset = 5): void {
  const view = viewOf('%'.repeat(offset) + piece);
  cache.set(view, offset, offset + piece.length, tokens);
}

describe('piece cache', () => {
  it('finds pieces of every length by their bytes, wherever they are in the text', () => {
    const cache = new PieceCache(1000, 64);
    const pieces = Array.from({ length: 64 }, (_, i) => 'the quick brown fox jumps over the lazy dog, then sleeps all day'.slice(0, i + 1));
    pieces.forEach((piece, i) => remember(cache, piece, i + 1));
    pieces.forEach((piece, i) => {
      for (let offset = 0; offset < 4; offset++) expect(lookup(cache, piece, offset)).toBe(i + 1);
    });
    expect(lookup(cache, 'The')).toBe(0);
    expect(lookup(cache, 'fox')).toBe(0);
    expect(cache.size).toBe(64);
  });

  it('tells apart pieces that share their first eight bytes, differ only in length, or end in NUL bytes', () => {
    const cache = new PieceCache(1000, 64);
    const pieces = [
      'a',
      'a\x00',
      'a\x00\x00\x00',
      'a\x00\x00\x00\x00',
      'a\x00\x00\x00\x00\x00\x00\x00',
      'a\x00\x00\x00\x00\x00\x00\x00\x00',
      '\x00',
      '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00',
      'abcdefgh',
      'abcdefghi',
      'abcdefghj',
      'abcdefghij',
      'abcdefghijklmnop',
      'abcdefghijklmnoq',
      'abcdefghijklmnopq',
      'zbcdefghijklmnopq',
    ];
    pieces.forEach((piece, i) => remember(cache, piece, i + 1));
    pieces.forEach((piece, i) => expect(lookup(cache, piece)).toBe(i + 1));
    expect(lookup(cache, 'abcdefghk')).toBe(0);
    expect(lookup(cache, 'abcdefghijklmnoz')).toBe(0);
    expect(lookup(cache, '\x00\x00')).toBe(0);
  });

  it('gives exactly the counts a Map would, however often hashes collide, and stays bounded', () => {
    // Eight entries in sixteen slots: most pieces share a first slot with another.
    const maxEntries = 8;
    const cache = new PieceCache(maxEntries, 64);
    const model = new Map<string, number>();
    const random = prng(42);
    const alphabet = 'ab\x00 ';
    for (let step = 0; step < 50_000; step++) {
      const length = 1 + Math.floor(random() * (random() < 0.8 ? 10 : 64));
      let piece = '';
      for (let i = 0; i < length; i++) piece += alphabet[Math.floor(random() * alphabet.length)];
      const known = lookup(cache, piece, Math.floor(random() * 8));
      expect(known).toBe(model.get(piece) ?? 0);
      if (known === 0) {
        const tokens = 1 + Math.floor(random() * 64);
        if (model.size >= maxEntries) model.clear();
        model.set(piece, tokens);
        remember(cache, piece, tokens, Math.floor(random() * 8));
      }
      expect(cache.size).toBe(model.size);
    }
  });

  it('keeps the rest of many long pieces', () => {
    const cache = new PieceCache(10_000, 64);
    const pieces = Array.from({ length: 5_000 }, (_, i) => `${i}:`.padEnd(64, String.fromCharCode(0x21 + (i % 90))));
    pieces.forEach((piece, i) => remember(cache, piece, 1 + (i % 64)));
    pieces.forEach((piece, i) => expect(lookup(cache, piece)).toBe(1 + (i % 64)));
  });

  it('grows from a small table as pieces come, finding every piece remembered before each doubling', () => {
    const cache = new PieceCache(100_000, 64);
    const pieces = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? ` w${i}` : `${i}-`.padEnd(9 + (i % 50), 'abcdefgh'[i % 8])));
    pieces.forEach((piece, i) => {
      remember(cache, piece, 1 + (i % 200));
      // The pieces remembered before the table doubled are still found after.
      if ((i & (i - 1)) === 0) for (let j = 0; j <= i; j++) expect(lookup(cache, pieces[j])).toBe(1 + (j % 200));
    });
    pieces.forEach((piece, i) => expect(lookup(cache, piece, i % 4)).toBe(1 + (i % 200)));
    expect(lookup(cache, ' w1')).toBe(0);
    expect(cache.size).toBe(pieces.length);
  });

  it('forgets everything when full, then starts over', () => {
    const cache = new PieceCache(4, 64);
    for (const piece of ['one', 'two', 'three', 'four']) remember(cache, piece, 1);
    expect(cache.size).toBe(4);
    remember(cache, 'five', 2);
    expect(cache.size).toBe(1);
    expect(lookup(cache, 'one')).toBe(0);
    expect(lookup(cache, 'five')).toBe(2);
  });

  it('refuses pieces longer than it was made for', () => {
    expect(() => new PieceCache(10, 256)).toThrow(RangeError);
    const cache = new PieceCache(10, 8);
    expect(() => remember(cache, 'ninechars', 1)).toThrow(RangeError);
  });
});
