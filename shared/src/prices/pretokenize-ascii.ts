import { Buffer } from 'node:buffer';

/**
 * tiktoken's pre-tokenizer, written out by hand for text that is entirely ASCII.
 *
 * Why this exists: once the token counts of pieces are remembered (see `count()` in tokens.ts),
 * BPE is no longer the cost of an estimate; splitting the text is. The encodings' `pat_str` is a
 * unicode regex with seven alternatives, and running it with `exec` allocates a match array and
 * a string per piece: on a 4 KB prompt that was most of the ~100 µs an estimate took. For ASCII
 * text the character classes collapse to a few byte ranges, and the first alternative that
 * matches can be found by looking at one or two characters, so a plain loop over the text's
 * bytes finds the same piece boundaries without allocating anything. (Bytes in a Uint8Array,
 * not `charCodeAt`: reading a typed array is several times cheaper, and copying ASCII text
 * into one is a memcpy.)
 *
 * The scanners must agree with the regexes exactly, including their backtracking (the tests
 * check them against the regexes on edge cases and a large random corpus). For ASCII:
 * `\p{L}` is [A-Za-z], `\p{Lu}` [A-Z], `\p{Ll}` [a-z], `\p{Lt}`, `\p{Lm}`, `\p{Lo}` and `\p{M}`
 * match nothing, `\p{N}` is [0-9], and `\s` is [\t\n\v\f\r ].
 *
 * Text with any character above U+007F is not split here; it keeps using the regex.
 */

/** Character classes of the ASCII range, as bit flags. */
const UPPER = 1; // [A-Z]
const LOWER = 2; // [a-z]
const DIGIT = 4; // [0-9]
const SPACE = 8; // \s: [\t\n\v\f\r ]
const NEWLINE = 16; // [\r\n]
/**
 * The byte after the text: `asciiBytes` puts `END_OF_TEXT` there, in no other class and not in
 * any symbol run, so every loop over a run of characters stops at it without comparing its
 * position with the length.
 */
const END = 32;
const END_OF_TEXT = 0x80;

/** `[^\r\n\p{L}\p{N}]`: the optional character before a word (a space, a tab or punctuation). */
const WORD_PREFIX_EXCLUDED = UPPER | LOWER | DIGIT | NEWLINE | END;
/** `[^\s\p{L}\p{N}]`: punctuation, symbols and control characters other than whitespace. */
const SYMBOL_EXCLUDED = UPPER | LOWER | DIGIT | SPACE | END;

const APOSTROPHE = 0x27;
const SPACE_CHAR = 0x20;
const SLASH = 0x2f;

/** The class of each ASCII code. */
const CLASSES = buildClasses();

function buildClasses(): Uint8Array {
  // 256 entries: the text is ASCII, and the end mark after it is 0x80.
  const classes = new Uint8Array(256);
  for (let code = 0; code < 128; code++) {
    if (code >= 0x41 && code <= 0x5a) classes[code] = UPPER;
    else if (code >= 0x61 && code <= 0x7a) classes[code] = LOWER;
    else if (code >= 0x30 && code <= 0x39) classes[code] = DIGIT;
    else if (code === 0x0a || code === 0x0d) classes[code] = SPACE | NEWLINE;
    else if (code === 0x09 || code === 0x0b || code === 0x0c || code === SPACE_CHAR) classes[code] = SPACE;
  }
  classes[END_OF_TEXT] = END;
  return classes;
}

/** The contraction alternatives of both patterns. */
const CONTRACTIONS = "'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D";
/** js-tiktoken's `pat_str` of o200k_base, which `o200kPieceEnd` implements. */
const O200K_PATTERN =
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(${CONTRACTIONS})?` +
  String.raw`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(${CONTRACTIONS})?` +
  String.raw`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
/** js-tiktoken's `pat_str` of cl100k_base, which `cl100kPieceEnd` implements. */
const CL100K_PATTERN = String.raw`(${CONTRACTIONS})|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/**
 * Finds where the piece of ASCII text starting at `start` ends. `bytes` holds the text followed
 * by the end-of-text mark, as `asciiBytes` returns it, and `start` is less than the text's length.
 */
export type AsciiScanner = (bytes: Uint8Array, start: number) => number;

/**
 * The ASCII scanner equivalent to the pre-tokenizer pattern `patStr`, or undefined if there is
 * none (a js-tiktoken upgrade that changed a pattern then falls back to the regex instead of
 * silently splitting differently).
 */
export function asciiScannerFor(patStr: string): AsciiScanner | undefined {
  if (patStr === O200K_PATTERN) return o200kPieceEnd;
  if (patStr === CL100K_PATTERN) return cl100kPieceEnd;
  return undefined;
}

/**
 * The bytes of an ASCII text: `bytes` for the scanners, and `view`, the same memory, for reading
 * four bytes at a time (see piece-cache.ts). Both extend at least `PADDING` bytes past the text.
 */
export interface AsciiBytes {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** Bytes after the text: the end mark, then bytes that readers of whole words may read and ignore. */
const PADDING = 8;

/** Holds the bytes of the text being split; replaced by a larger one when a longer text comes. */
let scratch = scratchFor(8192);

function scratchFor(textLength: number): AsciiBytes & { readonly buffer: Buffer } {
  const bytes = new Uint8Array(textLength + PADDING);
  // A plain Uint8Array for the scanners (one kind of array at every call site), and a Buffer
  // over the same memory to write the text into it.
  return { bytes, view: new DataView(bytes.buffer), buffer: Buffer.from(bytes.buffer) };
}

/**
 * The bytes of `text` if it is entirely ASCII, else undefined. They are in memory shared by
 * every call, valid until the next one.
 */
export function asciiBytes(text: string): AsciiBytes | undefined {
  // UTF-8 takes as many bytes as UTF-16 takes code units exactly when every code unit is below
  // 0x80 (anything else takes 2 to 4 bytes per unit). For V8's one-byte strings the byte count
  // and the Latin-1 copy below are both vectorized: well under a microsecond for 4 KB.
  if (Buffer.byteLength(text, 'utf8') !== text.length) return undefined;
  if (scratch.bytes.length < text.length + PADDING) scratch = scratchFor(text.length * 2);
  scratch.buffer.write(text, 0, 'latin1');
  scratch.bytes[text.length] = END_OF_TEXT;
  return scratch;
}

/**
 * The end of the piece that starts at `start` under o200k_base's pattern:
 *
 *     [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(contraction)?
 *   | [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(contraction)?
 *   | \p{N}{1,3}
 *   | ' '?[^\s\p{L}\p{N}]+[\r\n/]*
 *   | \s*[\r\n]+
 *   | \s+(?!\S)
 *   | \s+
 *
 * `bytes` and `start` are as for `AsciiScanner`.
 */
export function o200kPieceEnd(bytes: Uint8Array, start: number): number {
  const code = bytes[start];
  const cls = CLASSES[code];

  // The two word alternatives. The optional prefix is taken whenever the first character can be
  // one (leaving it out cannot help: that character is not a letter). Then uppercase letters and
  // lowercase letters: the first alternative needs a lowercase one after the uppercase run, and
  // when there is none the second matches the uppercase run alone, so both end at the same place.
  const wordStart = (cls & WORD_PREFIX_EXCLUDED) === 0 ? start + 1 : start;
  let end = wordStart;
  while (CLASSES[bytes[end]] === UPPER) end++;
  while (CLASSES[bytes[end]] === LOWER) end++;
  if (end > wordStart) return end + contractionLength(bytes, end);

  if (cls === DIGIT) return digitsEnd(bytes, start);

  const symbols = symbolsEnd(bytes, start);
  if (symbols > start) {
    end = symbols;
    // [\r\n/]*
    while ((CLASSES[bytes[end]] & NEWLINE) !== 0 || bytes[end] === SLASH) end++;
    return end;
  }

  return whitespaceEnd(bytes, start);
}

/**
 * The end of the piece that starts at `start` under cl100k_base's pattern:
 *
 *     (contraction)
 *   | [^\r\n\p{L}\p{N}]?\p{L}+
 *   | \p{N}{1,3}
 *   | ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *   | \s*[\r\n]+
 *   | \s+(?!\S)
 *   | \s+
 *
 * `bytes` and `start` are as for `AsciiScanner`.
 */
export function cl100kPieceEnd(bytes: Uint8Array, start: number): number {
  const code = bytes[start];
  const cls = CLASSES[code];

  if (code === APOSTROPHE) {
    const contraction = contractionLength(bytes, start);
    if (contraction > 0) return start + contraction;
  }

  const wordStart = (cls & WORD_PREFIX_EXCLUDED) === 0 ? start + 1 : start;
  let end = wordStart;
  while ((CLASSES[bytes[end]] & (UPPER | LOWER)) !== 0) end++;
  if (end > wordStart) return end;

  if (cls === DIGIT) return digitsEnd(bytes, start);

  const symbols = symbolsEnd(bytes, start);
  if (symbols > start) {
    end = symbols;
    // [\r\n]*
    while ((CLASSES[bytes[end]] & NEWLINE) !== 0) end++;
    return end;
  }

  return whitespaceEnd(bytes, start);
}

/**
 * Length of the contraction at `at`, 0 if none: `'s|'t|'re|'ve|'m|'ll|'d` in any letter case
 * (the patterns list every case combination). No two of them start with the same letter, so
 * the order of the alternatives does not matter.
 */
function contractionLength(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== APOSTROPHE) return 0;
  // Setting bit 0x20 lowercases an ASCII letter and leaves a lowercase one as it is. Only ASCII
  // letters become a code in a-z that way (0x41-0x5a and 0x61-0x7a), so no symbol, nor the end
  // mark, is mistaken for one of the letters compared below. The second letter matters only if
  // the first is a letter, hence part of the text: then it is in the text or the end mark.
  const letter = bytes[at + 1] | 0x20;
  if (letter === 0x73 || letter === 0x74 || letter === 0x6d || letter === 0x64) return 2; // s t m d
  const secondLetter = bytes[at + 2] | 0x20;
  if ((letter === 0x72 || letter === 0x76) && secondLetter === 0x65) return 3; // re ve
  if (letter === 0x6c && secondLetter === 0x6c) return 3; // ll
  return 0;
}

/** `\p{N}{1,3}`: at most three digits; a longer run is split every three from the left. */
function digitsEnd(bytes: Uint8Array, start: number): number {
  if (CLASSES[bytes[start + 1]] !== DIGIT) return start + 1;
  if (CLASSES[bytes[start + 2]] !== DIGIT) return start + 2;
  return start + 3;
}

/**
 * `' '?[^\s\p{L}\p{N}]+`: the end of a run of symbols, optionally after one space; `start` if
 * there is none. A space that is not followed by a symbol is not part of this alternative (the
 * regex retries without it, and a space is not a symbol).
 */
function symbolsEnd(bytes: Uint8Array, start: number): number {
  let end = bytes[start] === SPACE_CHAR ? start + 1 : start;
  const first = end;
  while ((CLASSES[bytes[end]] & SYMBOL_EXCLUDED) === 0) end++;
  return end > first ? end : start;
}

/**
 * The three whitespace alternatives, for a piece that starts with whitespace no earlier
 * alternative took:
 * - `\s*[\r\n]+`: if the run of whitespace contains a line break, `\s*` gives back characters
 *   until `[\r\n]+` can match, so the piece ends right after the run's last line break;
 * - `\s+(?!\S)`: otherwise, at the end of the text the whole run; before a non-space, the run
 *   minus its last character (left to prefix the next word or symbols), if that leaves any;
 * - `\s+`: otherwise the run, which is then a single character.
 */
function whitespaceEnd(bytes: Uint8Array, start: number): number {
  let end = start;
  let afterLastNewline = -1;
  while ((CLASSES[bytes[end]] & SPACE) !== 0) {
    if ((CLASSES[bytes[end]] & NEWLINE) !== 0) afterLastNewline = end + 1;
    end++;
  }
  if (afterLastNewline !== -1) return afterLastNewline;
  if (CLASSES[bytes[end]] === END || end - start === 1) return end;
  return end - 1;
}
