import { Buffer } from 'node:buffer';

/** A slot's int32s: where the token's bytes are in `tokenBytes` (shifted) with its length, and its rank + 1 (0: empty). */
const SLOT_SIZE = 2;
const LENGTH_BITS = 8;
const MAX_TOKEN_BYTES = 2 ** LENGTH_BITS - 1;
const MAX_OFFSET = 2 ** (31 - LENGTH_BITS) - 1;

/** Base64 digit values by character code; -1 for characters that are not digits. */
const BASE64_DIGITS = Int8Array.from({ length: 128 }, (_, code) =>
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(String.fromCharCode(code)),
);

/**
 * Counts the tokens of one pre-tokenized piece with a tiktoken encoding's byte-pair ranks, as
 * tiktoken's `_byte_pair_merge` does (merge the adjacent pair of lowest rank until none is left).
 *
 * js-tiktoken's `Tiktoken` keeps each rank twice, keyed by its bytes joined with commas
 * ("104,101,108") and as a `Uint8Array` for decoding: about 80 MiB of heap for o200k_base and
 * cl100k_base together, and twice that in RSS while it builds them. Estimates only count, so this
 * keeps the ranks off the JavaScript heap in two typed arrays, built straight from the same rank
 * files: every token's bytes one after another, and an open-addressing hash table (linear probing,
 * at most half full) from a token's bytes to its rank. About 4 MiB for o200k_base, and building
 * it allocates almost nothing else.
 */
export class BpeCounter {
  private readonly tokenBytes: Uint8Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `bpeRanks` is a js-tiktoken rank file's `bpe_ranks`: lines of `<marker> <first rank> <base64 token>…`. */
  constructor(bpeRanks: string) {
    // Base64 takes four characters for three bytes, so the file's length bounds the bytes and tokens.
    this.tokenBytes = new Uint8Array(Math.ceil((bpeRanks.length * 3) / 4));
    let bits = 4;
    while (2 ** bits < mostTokens(bpeRanks) * 2) bits++;
    this.mask = 2 ** bits - 1;
    this.slots = new Int32Array(SLOT_SIZE * 2 ** bits);
    this.load(bpeRanks);
  }

  /** Tokens in `piece`, one match of the encoding's split pattern. */
  count(piece: string): number {
    const bytes = toLatin1(piece);
    if (bytes.length <= 1 || this.rankOf(bytes, 0, bytes.length) >= 0) return 1;
    // Where each part starts, and the text's end; merging two parts drops the second's start.
    const starts: number[] = [];
    for (let i = 0; i <= bytes.length; i++) starts.push(i);
    while (starts.length > 2) {
      let lowest = Number.POSITIVE_INFINITY;
      let at = -1;
      for (let i = 0; i + 2 < starts.length; i++) {
        const rank = this.rankOf(bytes, starts[i], starts[i + 2]);
        if (rank >= 0 && rank < lowest) {
          lowest = rank;
          at = i;
        }
      }
      if (at < 0) break;
      starts.splice(at + 1, 1);
    }
    return starts.length - 1;
  }

  /** The rank of the token whose bytes are characters `start` to `end` of `bytes` (one byte each), or -1. */
  private rankOf(bytes: string, start: number, end: number): number {
    const { slots, tokenBytes, mask } = this;
    const length = end - start;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes.charCodeAt(i), 0x01000193);
    for (let slot = (hash >>> 0) & mask; ; slot = (slot + 1) & mask) {
      const rankPlusOne = slots[slot * SLOT_SIZE + 1];
      if (rankPlusOne === 0) return -1;
      const where = slots[slot * SLOT_SIZE];
      if ((where & MAX_TOKEN_BYTES) !== length) continue;
      const offset = where >>> LENGTH_BITS;
      let same = true;
      for (let i = 0; i < length && same; i++) same = tokenBytes[offset + i] === bytes.charCodeAt(start + i);
      if (same) return rankPlusOne - 1;
    }
  }

  /** Decodes every token of `bpeRanks` into `tokenBytes` and puts it in the table with its rank. */
  private load(bpeRanks: string): void {
    const { slots, tokenBytes, mask } = this;
    let used = 0;
    for (let line = 0; line < bpeRanks.length;) {
      let lineEnd = bpeRanks.indexOf('\n', line);
      if (lineEnd < 0) lineEnd = bpeRanks.length;
      const rankStart = bpeRanks.indexOf(' ', line) + 1;
      const rankEnd = rankStart > 0 && rankStart < lineEnd ? bpeRanks.indexOf(' ', rankStart) : -1;
      let rank = rankEnd > 0 && rankEnd < lineEnd ? Number.parseInt(bpeRanks.slice(rankStart, rankEnd), 10) : Number.NaN;
      if (!Number.isInteger(rank)) throw new SyntaxError('a rank file line does not start with a marker and a rank');
      for (let at = rankEnd; at < lineEnd;) {
        let end = bpeRanks.indexOf(' ', at + 1);
        if (end < 0 || end > lineEnd) end = lineEnd;
        const length = decodeBase64(bpeRanks, at + 1, end, tokenBytes, used);
        if (length > MAX_TOKEN_BYTES) throw new RangeError(`a token of ${length} bytes is longer than ${MAX_TOKEN_BYTES}`);
        if (used > MAX_OFFSET) throw new RangeError('the rank file holds more token bytes than the table can address');
        let hash = 0x811c9dc5;
        for (let i = used; i < used + length; i++) hash = Math.imul(hash ^ tokenBytes[i], 0x01000193);
        let slot = (hash >>> 0) & mask;
        // A token listed twice keeps its last rank, as js-tiktoken does.
        while (slots[slot * SLOT_SIZE + 1] !== 0 && !this.sameToken(slots[slot * SLOT_SIZE], used, length)) slot = (slot + 1) & mask;
        slots[slot * SLOT_SIZE] = (used << LENGTH_BITS) | length;
        slots[slot * SLOT_SIZE + 1] = rank + 1;
        used += length;
        rank++;
        at = end;
      }
      line = lineEnd + 1;
    }
  }

  /** Whether the token kept at `where` (a slot's first int32) has the `length` bytes at `offset`. */
  private sameToken(where: number, offset: number, length: number): boolean {
    if ((where & MAX_TOKEN_BYTES) !== length) return false;
    const start = where >>> LENGTH_BITS;
    for (let i = 0; i < length; i++) if (this.tokenBytes[start + i] !== this.tokenBytes[offset + i]) return false;
    return true;
  }
}

/** At least as many as the tokens listed in `bpeRanks`: each follows a space. */
function mostTokens(bpeRanks: string): number {
  let spaces = 0;
  for (let i = bpeRanks.indexOf(' '); i >= 0; i = bpeRanks.indexOf(' ', i + 1)) spaces++;
  return spaces;
}

/** Decodes the base64 of `text` from `start` to `end` into `out` at `offset`; returns the bytes written. */
function decodeBase64(text: string, start: number, end: number, out: Uint8Array, offset: number): number {
  let written = 0;
  let bits = 0;
  let pending = 0;
  for (let i = start; i < end; i++) {
    const digit = BASE64_DIGITS[text.charCodeAt(i)] ?? -1;
    if (digit < 0) break; // '=' padding ends the token
    pending = (pending << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[offset + written++] = (pending >>> bits) & 0xff;
    }
  }
  return written;
}

/** `text`'s UTF-8 bytes as a string of one character per byte (ASCII text is its own). */
function toLatin1(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'utf8').toString('latin1');
  }
  return text;
}
