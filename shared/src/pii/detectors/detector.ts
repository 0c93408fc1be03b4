import type { DetectorName, Finding } from '../types.js';

/** A built-in detector: a name, a placeholder label and a scanner. */
export interface Detector {
  readonly name: DetectorName;
  /** Label used in placeholders: `EMAIL` gives `[EMAIL_1]`. */
  readonly label: string;
  /**
   * Appends findings to `out` in text order and stops as soon as `out` holds `limit` entries,
   * so "is there any?" checks cost one hit, not a full scan.
   */
  scan(text: string, out: Finding[], limit: number): void;
}

/**
 * Decides whether a regex candidate is a real finding. Returns the end offset of the finding
 * (usually `m.index + m[0].length`, sometimes shorter), or -1 to reject the candidate.
 */
export type Acceptor = (text: string, m: RegExpExecArray) => number;

const acceptWhole: Acceptor = (_text, m) => m.index + m[0].length;

/** Options of `regexScanner`. */
export interface ScannerOptions {
  /** Decides whether a candidate is a finding (default: the whole match is). */
  readonly accept?: Acceptor;
  /**
   * Literals of which at least one must occur for a finding to be possible, checked with
   * `includes` before the regex runs: most texts contain none, and `includes` is far cheaper.
   * The engine scans for a hint's first character, so a hint should start with a rare one:
   * `k-` rather than `sk-` (an `s` every few characters makes the search several times slower).
   */
  readonly hints?: readonly string[];
  /** A cheaper custom test that must pass for a finding to be possible. */
  readonly prefilter?: (text: string) => boolean;
  /**
   * Whether the character before a candidate (its UTF-16 code) allows a finding to start there.
   * Checked here rather than with a lookbehind: a pattern that starts with a lookbehind loses
   * the engine's fast literal search.
   */
  readonly after?: (code: number) => boolean;
}

/**
 * Builds a scanner from a global regex. The regex is shared between calls: scanning is
 * synchronous, so resetting `lastIndex` on entry is enough.
 */
export function regexScanner(name: DetectorName, re: RegExp, options: ScannerOptions = {}): Detector['scan'] {
  if (!re.global) throw new TypeError(`the ${name} detector needs a global regex`);
  const accept = options.accept ?? acceptWhole;
  const hints = options.hints;
  const prefilter = options.prefilter;
  const after = options.after;
  return (text, out, limit) => {
    if (hints !== undefined && !hints.some((h) => text.includes(h))) return;
    if (prefilter !== undefined && !prefilter(text)) return;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while (out.length < limit && (m = re.exec(text)) !== null) {
      const end = after === undefined || m.index === 0 || after(text.charCodeAt(m.index - 1)) ? accept(text, m) : -1;
      if (end > m.index) {
        out.push({ detector: name, start: m.index, end, value: text.slice(m.index, end) });
        re.lastIndex = end;
      } else {
        // A rejected candidate may still contain the start of a real one.
        re.lastIndex = m.index + 1;
      }
    }
  };
}

/** Boundary for `after`: not a letter, digit or underscore. */
export const notWord = (c: number): boolean => !isWordCode(c);
/** Boundary for `after`: not a letter, digit, underscore or dash. */
export const notWordOrDash = (c: number): boolean => !isWordCode(c) && c !== 45;
/** Boundary for `after`: not an ASCII letter or digit. */
export const notAlphanumeric = (c: number): boolean => !isWordCode(c) || c === 95;

/** Counts ASCII digits in `s`. */
export function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Returns the ASCII digits of `s` as a string. */
export function digitsOf(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out += s[i];
  }
  return out;
}

/** True when `c` is an ASCII letter, digit or underscore (a `\w` character). */
export function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
