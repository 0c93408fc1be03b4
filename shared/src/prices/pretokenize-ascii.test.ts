import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { asciiBytes, asciiScannerFor, cl100kPieceEnd, o200kPieceEnd, type AsciiScanner } from './pretokenize-ascii.js';
import { estimateTokens } from './tokens.js';
import { prng } from './seeded-random.test-support.js';

const ENCODINGS = [
  { name: 'o200k_base', ranks: o200k, scanner: o200kPieceEnd, model: 'gpt-4o' },
  { name: 'cl100k_base', ranks: cl100k, scanner: cl100kPieceEnd, model: 'gpt-4' },
] as const;

/** The pieces the encoding's regex splits `text` into, as js-tiktoken does. */
function regexPieces(patStr: string, text: string): string[] {
  return text.match(new RegExp(patStr, 'gu')) ?? [];
}

/** The pieces the scanner splits ASCII `text` into. */
function scannedPieces(scanner: AsciiScanner, text: string): string[] {
  const ascii = asciiBytes(text);
  if (!ascii) throw new Error(`not ASCII: ${JSON.stringify(text)}`);
  const pieces: string[] = [];
  for (let start = 0; start < text.length;) {
    const end = scanner(ascii.bytes, start);
    if (!(end > start && end <= text.length)) throw new Error(`piece end ${end} after ${start} in ${JSON.stringify(text)}`);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Expects the scanners to split every text exactly as the regexes do (reporting the first text that differs). */
function expectSameSplit(texts: Iterable<string>): void {
  for (const { name, ranks, scanner } of ENCODINGS) {
    for (const text of texts) {
      const expected = regexPieces(ranks.pat_str, text);
      const actual = scannedPieces(scanner, text);
      // Compared as JSON first: one toEqual per text would make the fuzz slow.
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        expect({ encoding: name, text, pieces: actual }).toEqual({ encoding: name, text, pieces: expected });
      }
    }
  }
}

/** Random ASCII strings of 0 to 200 characters, weighted towards what makes the patterns branch. */
function fuzzCorpus(count: number, seed: number): string[] {
  const weighted: [string, number][] = [
    ['abcdefghijklmnopqrstuvwxyz', 3],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 2],
    ['sStTrReEvVlLmMdD', 3], // contraction letters
    ['0123456789', 3],
    [' ', 30],
    ['\t', 4],
    ['\n', 6],
    ['\r', 3],
    ["'", 8],
    ['/', 5],
    ['!"#$%&()*+,-.:;<=>?@[\\]^_`{|}~', 1],
    [Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join('') + '\x7f', 1], // control characters
    ['\x0b\x0c', 2], // \v and \f: whitespace, but not line breaks
  ];
  const alphabet: string[] = [];
  for (const [chars, weight] of weighted) for (const char of chars) for (let i = 0; i < weight; i++) alphabet.push(char);
  const random = prng(seed);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * 201);
    let text = '';
    for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
    texts.push(text);
  }
  return texts;
}

describe('ASCII pre-tokenizer', () => {
  it('implements exactly the patterns of the installed js-tiktoken', () => {
    // If an upgrade changes a pattern, estimates fall back to the regex; this test says so.
    expect(asciiScannerFor(o200k.pat_str)).toBe(o200kPieceEnd);
    expect(asciiScannerFor(cl100k.pat_str)).toBe(cl100kPieceEnd);
    expect(asciiScannerFor(`${o200k.pat_str}|x`)).toBeUndefined();
  });

  it('splits hand-picked edge cases as the regexes do', () => {
    const digitRuns = Array.from({ length: 7 }, (_, i) => '1234567'.slice(0, i + 1));
    expectSameSplit([
      '',
      "don't",
      "DON'T",
      "I'LL",
      "I'll",
      "we're we'RE WE'Re they've THEY'VE I'm I'M he'd HE'D it's IT'S",
      "'s",
      "'S'T're",
      "'sab 'LLama 'Re'",
      "''s",
      "'",
      "x'",
      "x'l",
      "O'Neil's",
      "rock'n'roll",
      ...digitRuns,
      ...digitRuns.map((digits) => `a${digits}b`),
      ' 1234567',
      '3.14.2 10:30 $1,250 12/05',
      'HELLOworld',
      'HELLOWORLD',
      'ABC def',
      'ABCdef GHI',
      'CamelCaseHTTPServer iPhone',
      'maxPollRecords',
      'a  b',
      'a   b',
      'a  !',
      'a   !',
      'a  \n',
      'a   \nb',
      'a  ',
      '   ',
      ' ',
      '\r\n\r\n  x',
      '\n\n\n',
      '\r\r\n',
      ' \n',
      '\n ',
      '\n x',
      '\n  x',
      ' \n \n x',
      '\t\tfoo',
      'a\tb',
      '\t!',
      '\t\t!',
      'foo\t',
      'a \x0b b',
      '\x0bfoo',
      '\x0c\x0c\n',
      '//comments',
      '// comments\n//more\n',
      'a/b/\n',
      'a/b/\n/\n',
      'http://example.com/path/to',
      '!!!\n\n//',
      '!/\r\n/x',
      ' !?',
      '  !?',
      '...',
      '{"a": [1, 2]}',
      'a <|endoftext|> b',
      '\x00abc',
      '\x7fabc',
      'a\x00\x00',
      'alice.martin@example.com',
    ]);
  });

  it('splits every single ASCII character, and every pair, as the regexes do', () => {
    const chars = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));
    expectSameSplit(chars);
    expectSameSplit(chars.flatMap((first) => chars.map((second) => first + second)));
  });

  it('splits every short string over one representative of each kind of character as the regexes do', () => {
    const representatives = ['a', 'Z', 's', 'T', 'r', 'E', 'l', 'L', '5', ' ', '\t', '\n', '\r', "'", '/', '!', '\x00', '\x0b'];
    const texts: string[] = [''];
    for (let length = 1, previous = ['']; length <= 4; length++) {
      previous = previous.flatMap((prefix) => representatives.map((char) => prefix + char));
      texts.push(...previous);
    }
    expectSameSplit(texts);
  });

  it('splits 20,000 random ASCII strings as the regexes do', () => {
    expectSameSplit(fuzzCorpus(20_000, 0x5eed));
  });

  it('gives the bytes of ASCII text only', () => {
    expect(asciiBytes('héllo')).toBeUndefined(); // Latin-1: a one-byte string to V8, but not ASCII
    expect(asciiBytes('ключ')).toBeUndefined();
    expect(asciiBytes('a\ud83d')).toBeUndefined(); // a lone surrogate
    expect(asciiBytes('🙂')).toBeUndefined();
    expect(Array.from(asciiBytes('Hi\x00\x7f')!.bytes.subarray(0, 4))).toEqual([0x48, 0x69, 0x00, 0x7f]);
    const long = 'x'.repeat(20_000);
    expect(
      asciiBytes(long)!
        .bytes.subarray(0, long.length)
        .every((byte) => byte === 0x78),
    ).toBe(true);
    expect(scannedPieces(o200kPieceEnd, `${long} a`)).toEqual(regexPieces(o200k.pat_str, `${long} a`));
  });
});

describe('token estimates of ASCII text', () => {
  // Slow (about 10 s each): nearly every piece of random text is new, and each new piece costs a
  // js-tiktoken encode call, as it does in production the first time a piece is seen.
  for (const { name, ranks, model } of ENCODINGS) {
    it(`equal the ${name} encoder on the 20,000 random strings, cold and remembered`, { timeout: 120_000 }, () => {
      const encoder = new Tiktoken(ranks);
      for (const text of fuzzCorpus(20_000, 0x5eed)) {
        const exact = encoder.encode(text, [], []).length;
        expect(estimateTokens(text, model)).toBe(exact);
        expect(estimateTokens(text, model)).toBe(exact);
      }
    });
  }
});
