/**
 * Admission rules for regular expressions written in policies.
 *
 * Policy regexes run on prompts and answers, which agents (and whoever talks to them) control,
 * so a pattern that can backtrack catastrophically is a denial-of-service switch for the whole
 * data plane. JavaScript regexes cannot be interrupted, so patterns are vetted when a policy is
 * saved, conservatively: some harmless patterns are refused and must be rewritten. A pattern is
 * rejected when it
 *  - is longer than `MAX_REGEX_LENGTH` characters;
 *  - uses a backreference (`\1`, `\k<name>`), which makes matching NP-hard;
 *  - nests quantifiers: a repeated group (`*`, `+`, `{2,}` …) containing a quantifier of
 *    variable count (`(a+)+`, `(\w+\.)*`, `(ab?)+`), the classic exponential case;
 *  - repeats an alternation whose branches can start with the same character or match nothing
 *    (`(a|ab)*`, `(\w|\d)+`, `(a|)+`), also exponential;
 *  - puts two repetitions side by side, possibly with only optional parts between them, where
 *    the first can end with a character the second can start with (`\d+\d*`, `.*.*`,
 *    `\w+\s?\w+`): polynomial (quadratic, cubic, …) and still ruinous on a 100 kB prompt.
 * Patterns are compiled without the `g` and `y` flags (which make `test` stateful) and, apart
 * from an optional `i`, without user flags.
 *
 * Even an unambiguous pattern can be slow when searched for: `ignore.*instructions` tried at
 * every `ignore` of a megabyte of `ignoreignore…` scans to the end of the line each time, a
 * quadratic cost. So unbounded repetitions (`*`, `+`, `{n,}`) are compiled with an upper bound
 * of `MAX_REPEAT`: `.*` matches at most 256 characters. Each attempt then costs a bounded
 * amount and a search stays linear in the text. Polynomial blow-ups remain conceivable for
 * patterns with several repetitions in sequence (`a.*b.*c` on `ababab…`); they are bounded by
 * `MAX_REPEAT` to the power of the number of repetitions, and the request-size limit.
 */

import { CharSet, Parser, type Node, type UnboundedQuantifier } from './regex-parser.js';

/** Longest pattern source accepted, in UTF-16 code units. */
export const MAX_REGEX_LENGTH = 512;

/** Upper bound given to unbounded repetitions: `*` compiles as `{0,256}`, `+` as `{1,256}`. */
const MAX_REPEAT = 256;

/** Result of `compileSafeRegex`: the regex, or the end of a sentence saying why it was refused. */
export type SafeRegexResult = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly reason: string };

/** Whether a node can match the empty string. */
function nullable(node: Node): boolean {
  switch (node.kind) {
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.options.some(nullable);
    case 'group':
      return node.lookaround || nullable(node.body);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
    case 'chars':
      return false;
    case 'assertion':
    case 'backref':
      return true;
  }
}

/** Characters that can start a match of `node`. */
function firstChars(node: Node): CharSet {
  const set = new CharSet();
  switch (node.kind) {
    case 'seq':
      for (const item of node.items) {
        set.addSet(firstChars(item));
        if (!nullable(item)) break;
      }
      return set;
    case 'alt':
      for (const option of node.options) set.addSet(firstChars(option));
      return set;
    case 'group':
      return node.lookaround ? set : firstChars(node.body);
    case 'repeat':
      return firstChars(node.body);
    case 'chars':
      return node.set;
    case 'assertion':
    case 'backref':
      return set;
  }
}

/** Characters that can end a match of `node`. */
function lastChars(node: Node): CharSet {
  const set = new CharSet();
  switch (node.kind) {
    case 'seq':
      for (let i = node.items.length - 1; i >= 0; i--) {
        set.addSet(lastChars(node.items[i]));
        if (!nullable(node.items[i])) break;
      }
      return set;
    case 'alt':
      for (const option of node.options) set.addSet(lastChars(option));
      return set;
    case 'group':
      return node.lookaround ? set : lastChars(node.body);
    case 'repeat':
      return lastChars(node.body);
    case 'chars':
      return node.set;
    case 'assertion':
    case 'backref':
      return set;
  }
}

/**
 * Whether a node contains a repetition of variable count (`*`, `+`, `?`, `{1,3}`) outside
 * lookarounds; the engine backtracks into those, not into lookarounds.
 */
function hasVariableRepeat(node: Node): boolean {
  switch (node.kind) {
    case 'seq':
      return node.items.some(hasVariableRepeat);
    case 'alt':
      return node.options.some(hasVariableRepeat);
    case 'group':
      return !node.lookaround && hasVariableRepeat(node.body);
    case 'repeat':
      return node.min !== node.max || hasVariableRepeat(node.body);
    default:
      return false;
  }
}

/** Walks the tree and returns the first reason to refuse it, or null. */
function findHazard(node: Node): string | null {
  switch (node.kind) {
    case 'backref':
      return 'uses a backreference, which can make matching take exponential time; rewrite it without one';
    case 'seq':
      for (const item of node.items) {
        const inner = findHazard(item);
        if (inner !== null) return inner;
      }
      return adjacentRepetitions(node.items);
    case 'alt':
      for (const option of node.options) {
        const inner = findHazard(option);
        if (inner !== null) return inner;
      }
      return null;
    case 'group':
      return findHazard(node.body);
    case 'repeat': {
      const inner = findHazard(node.body);
      if (inner !== null) return inner;
      if (node.max <= 1) return null;
      if (hasVariableRepeat(node.body)) {
        return 'nests quantifiers (a repeated group containing another quantifier, like "(a+)+" or "(ab?)*"), which can make matching take exponential time on hostile input';
      }
      if (ambiguousAlternation(node.body)) {
        return 'repeats an alternation whose branches can match the same text (like "(a|ab)*"), which can make matching take exponential time on hostile input';
      }
      return null;
    }
    default:
      return null;
  }
}

/** True when an alternation inside a repeated body has overlapping or empty branches. */
function ambiguousAlternation(node: Node): boolean {
  switch (node.kind) {
    case 'alt': {
      if (node.options.some(nullable)) return true;
      const firsts = node.options.map(firstChars);
      for (let i = 0; i < firsts.length; i++) {
        for (let j = i + 1; j < firsts.length; j++) if (firsts[i].overlaps(firsts[j])) return true;
      }
      return node.options.some(ambiguousAlternation);
    }
    case 'seq':
      return node.items.some(ambiguousAlternation);
    case 'group':
      return !node.lookaround && ambiguousAlternation(node.body);
    case 'repeat':
      return ambiguousAlternation(node.body);
    default:
      return false;
  }
}

/**
 * Two variable repetitions where the first can end with a character the second can start with,
 * separated only by parts that can match nothing, can share a run of characters in many ways.
 */
function adjacentRepetitions(items: readonly Node[]): string | null {
  for (let i = 0; i < items.length; i++) {
    if (!hasVariableRepeat(items[i])) continue;
    const tail = lastChars(items[i]);
    for (let j = i + 1; j < items.length; j++) {
      if (hasVariableRepeat(items[j]) && tail.overlaps(firstChars(items[j]))) {
        return 'puts two repetitions that can match the same characters side by side (like "\\d+\\d*" or ".*.*"), which makes matching slow on hostile input; merge them or separate them with a required character';
      }
      if (!nullable(items[j])) break;
    }
  }
  return null;
}

/**
 * Compiles a policy regex if it passes the admission rules above, with its unbounded
 * repetitions bounded by `MAX_REPEAT`. `ignoreCase` adds the `i` flag. The returned regex has no
 * `g` or `y` flag, so `test` keeps no state between calls.
 */
export function compileSafeRegex(source: string, ignoreCase = false): SafeRegexResult {
  if (source.length === 0) return { ok: false, reason: 'must not be an empty regular expression' };
  if (source.length > MAX_REGEX_LENGTH) {
    return {
      ok: false,
      reason: `is longer than ${MAX_REGEX_LENGTH} characters (${source.length}); shorten the regular expression`,
    };
  }
  const flags = ignoreCase ? 'i' : '';
  try {
    new RegExp(source, flags);
  } catch (err) {
    return { ok: false, reason: `is not a valid regular expression: ${(err as Error).message}` };
  }
  const parser = new Parser(source, ignoreCase);
  const hazard = findHazard(parser.parse());
  if (hazard !== null) return { ok: false, reason: hazard };
  return { ok: true, regex: new RegExp(boundRepetitions(source, parser.unbounded), flags) };
}

/** Rewrites each unbounded quantifier as `{min,MAX_REPEAT}` (a lazy `?` after it is kept). */
function boundRepetitions(source: string, quantifiers: readonly UnboundedQuantifier[]): string {
  let out = '';
  let cursor = 0;
  for (const q of quantifiers) {
    out += `${source.slice(cursor, q.from)}{${q.min},${Math.max(q.min, MAX_REPEAT)}}`;
    cursor = q.to;
  }
  return out + source.slice(cursor);
}
