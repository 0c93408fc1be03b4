import { createRequire } from 'node:module';
import type { TiktokenBPE } from 'js-tiktoken/lite';
import { BpeCounter } from './bpe-counter.js';
import { PieceCache } from './piece-cache.js';
import { asciiBytes, asciiScannerFor, type AsciiBytes, type AsciiScanner } from './pretokenize-ascii.js';

type EncodingName = 'o200k_base' | 'cl100k_base';

/** Models tokenized with o200k_base; everything else (older OpenAI, and other providers as an approximation) uses cl100k_base. */
const O200K_MODELS = /^(?:models\/)?(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)(?:[-.@]|$)/i;
/** Texts up to this many characters are encoded exactly. */
const EXACT_LIMIT = 8192;
/** Longer texts are estimated from this many evenly spaced samples of `SAMPLE_CHARS` each. */
const SAMPLES = 8;
const SAMPLE_CHARS = 1024;

/** Pieces longer than this (long runs of spaces or symbols) are counted each time, not remembered. */
const MAX_CACHED_PIECE = 64;
/**
 * Remembered pieces per encoding, in each of its two memories (pieces of ASCII text, pieces of
 * other text), before that memory is cleared: a few MB each when full; they grow as pieces come.
 */
const PIECE_CACHE_ENTRIES = 100_000;

/** An encoder with the pattern it splits text by and the token counts of pieces seen so far. */
interface Encoding {
  readonly encoder: BpeCounter;
  readonly split: RegExp;
  /** Token counts of the pieces of non-ASCII text (split by `split`). */
  readonly pieces: Map<string, number>;
  /** The same split as `split`, hand-written for ASCII text; undefined if the pattern is not one it knows. */
  readonly asciiPieceEnd: AsciiScanner | undefined;
  /** Token counts of the pieces of ASCII text, looked up by their bytes. */
  readonly asciiPieces: PieceCache;
}

const require = createRequire(import.meta.url);
const encodings = new Map<EncodingName, Encoding>();

/**
 * Estimates the prompt tokens of `text` for `model`, to reserve budget before forwarding.
 * Encodes exactly up to 8 KiB of text; beyond that, pure-JS BPE costs milliseconds per 10 KiB,
 * so it encodes eight 1 KiB samples spread over the text and scales their tokens-per-character
 * ratio up to the full length (typically within a few percent). Rounds up.
 */
export function estimateTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  const encoder = encoderFor(encodingForModel(model));
  if (text.length <= EXACT_LIMIT) return count(encoder, text);
  const stride = Math.floor((text.length - SAMPLE_CHARS) / (SAMPLES - 1));
  let sampledTokens = 0;
  for (let i = 0; i < SAMPLES; i++) sampledTokens += count(encoder, text.slice(i * stride, i * stride + SAMPLE_CHARS));
  return Math.ceil((sampledTokens / (SAMPLES * SAMPLE_CHARS)) * text.length);
}

/** The tiktoken encoding used for a model's estimates. */
export function encodingForModel(model: string): EncodingName {
  return O200K_MODELS.test(model) ? 'o200k_base' : 'cl100k_base';
}

/**
 * Loads both encoders now. Each takes about a second to build; a data-plane node calls this at
 * start-up so the first request does not pay for it.
 */
export function preloadTokenizers(): void {
  encoderFor('o200k_base');
  encoderFor('cl100k_base');
}

/**
 * Tokens of `text`, without special tokens (a prompt that contains "<|endoftext|>" is ordinary
 * text, not an error). tiktoken splits text with its pattern and byte-pair encodes each piece on
 * its own, so the count is the sum over pieces; pieces (words, mostly) repeat endlessly across
 * prompts, so each piece's count is remembered instead of running the pure-JS BPE (`BpeCounter`)
 * again, as OpenAI's original GPT-2 encoder did. Same result, a fraction of the cost.
 *
 * With the counts remembered, splitting costs more than the BPE: ASCII text (nearly every
 * prompt) is split by a hand-written scanner over its bytes that finds the same pieces as the
 * pattern, and its pieces are looked up by their bytes, without allocating a match or a string
 * per piece. Other text goes through the pattern itself.
 */
function count(encoding: Encoding, text: string): number {
  const { asciiPieceEnd } = encoding;
  const ascii = asciiPieceEnd !== undefined ? asciiBytes(text) : undefined;
  if (asciiPieceEnd !== undefined && ascii !== undefined) return countAscii(encoding, asciiPieceEnd, text, ascii);
  return countWithPattern(encoding, text);
}

/** `count` for ASCII text: `ascii` holds its bytes, `pieceEnd` splits them. */
function countAscii(encoding: Encoding, pieceEnd: AsciiScanner, text: string, ascii: AsciiBytes): number {
  const { asciiPieces, encoder } = encoding;
  const { bytes, view } = ascii;
  const length = text.length;
  let total = 0;
  for (let start = 0; start < length;) {
    const end = pieceEnd(bytes, start);
    if (end - start > MAX_CACHED_PIECE) {
      total += encoder.count(text.slice(start, end));
    } else {
      let tokens = asciiPieces.get(view, start, end);
      if (tokens === 0) {
        tokens = encoder.count(text.slice(start, end));
        asciiPieces.set(view, start, end, tokens);
      }
      total += tokens;
    }
    start = end;
  }
  return total;
}

/** `count` for any text, split by the encoding's pattern. */
function countWithPattern(encoding: Encoding, text: string): number {
  const { split, pieces, encoder } = encoding;
  let total = 0;
  split.lastIndex = 0;
  for (let match = split.exec(text); match !== null; match = split.exec(text)) {
    const piece = match[0];
    let tokens = pieces.get(piece);
    if (tokens === undefined) {
      tokens = encoder.count(piece);
      if (piece.length <= MAX_CACHED_PIECE) {
        // A crude bound: clearing now and then costs one cold prompt, never unbounded memory.
        if (pieces.size >= PIECE_CACHE_ENTRIES) pieces.clear();
        pieces.set(piece, tokens);
      }
    }
    total += tokens;
  }
  return total;
}

function encoderFor(name: EncodingName): Encoding {
  let encoding = encodings.get(name);
  if (!encoding) {
    // Loaded synchronously on first use: the rank tables are megabytes, and callers are synchronous.
    // Only their pattern and ranks are kept, so the module itself is dropped once read.
    const path = require.resolve(`js-tiktoken/ranks/${name}`);
    const loaded = require(path) as TiktokenBPE | { default: TiktokenBPE };
    delete require.cache[path];
    const ranks = 'default' in loaded ? loaded.default : loaded;
    encoding = {
      encoder: new BpeCounter(ranks.bpe_ranks),
      split: new RegExp(ranks.pat_str, 'gu'),
      pieces: new Map(),
      asciiPieceEnd: asciiScannerFor(ranks.pat_str),
      asciiPieces: new PieceCache(PIECE_CACHE_ENTRIES, MAX_CACHED_PIECE),
    };
    encodings.set(name, encoding);
  }
  return encoding;
}
