/**
 * Admission and evaluation of regular expressions written in policies.
 *
 * Policy regexes run on prompts and answers, which agents (and whoever talks to them) control,
 * so a regex engine that backtracks is a denial-of-service switch for the whole data plane:
 * JavaScript's own cannot be interrupted, and even with exponential patterns refused and
 * repetitions bounded to 256 it took 6.2 s for `a+$a` on a 1 MB prompt of `a`, and 15 s for
 * `a.*b.*c` on 100 kB of `abab…`. So policy regexes are written in JavaScript
 * syntax but run on `re2js`, a pure-JavaScript port of RE2 whose time is linear in the text
 * whatever the pattern (a lazy DFA, falling back to a Pike VM, never backtracking), and its
 * cost per character grows with the pattern's branching, which `MAX_REGEX_BRANCHING` caps. The
 * policy fuzz target holds any admitted pattern on a 1 MB prompt to `MATCH_1MB_BOUND_MS`.
 *
 * A pattern is refused when it
 *  - is empty or longer than `MAX_REGEX_LENGTH` characters;
 *  - is not a valid JavaScript regular expression (the engine's message is kept);
 *  - uses a backreference (`\1`, `\k<name>`), which no linear-time engine can run;
 *  - has more than `MAX_REGEX_BRANCHING` character classes and alternatives once counted
 *    repetitions are expanded;
 *  - uses syntax RE2 does not have: lookarounds (`(?=`, `(?<!`…), `[\b]`, `\1` as an octal
 *    escape.
 * RE2's `\s` is ASCII whitespace (JavaScript's also matches Unicode spaces) and its `.` also
 * matches `\r`; otherwise the syntax JavaScript and RE2 share means the same.
 */

import { RE2JS } from 're2js';
import { Parser, type Node } from './regex-parser.js';

/** Longest pattern source accepted, in UTF-16 code units. */
export const MAX_REGEX_LENGTH = 512;

/**
 * Largest branching size accepted (see `branching`): the engine's time per character of text
 * grows with it in the worst case (text that makes it build a new state at every character),
 * so this cap is what bounds a search through a 1 MB prompt.
 */
const MAX_REGEX_BRANCHING = 32;

/** A compiled policy regex: `test` is unanchored, like `RegExp.prototype.test`, and keeps no state. */
export type SafeRegex = RE2JS;

/** Result of `compileSafeRegex`: the regex, or the end of a sentence saying why it was refused. */
export type SafeRegexResult = { readonly ok: true; readonly regex: SafeRegex } | { readonly ok: false; readonly reason: string };

/**
 * The branching size of a pattern: one per character class (`[ab]`, `\d`, `.`) and per extra
 * alternative, counted repetitions expanded (`[a-z]{16}` is 16, `x*` nothing, `(?:a|b){4}` 4);
 * a literal character costs nothing, since it cannot make the engine follow several paths at
 * once. `Infinity` when the pattern uses a backreference.
 */
function branching(node: Node): number {
  switch (node.kind) {
    case 'backref':
      return Infinity;
    case 'seq':
      return node.items.reduce((sum, item) => sum + branching(item), 0);
    case 'alt':
      return node.options.reduce((sum, option) => sum + branching(option), node.options.length - 1);
    case 'group':
      return branching(node.body);
    case 'repeat':
      return branching(node.body) * Math.max(1, node.max === Infinity ? node.min : node.max);
    case 'chars':
      return node.set.isOneCharacter() ? 0 : 1;
    default:
      return 0;
  }
}

/**
 * Compiles a policy regex if it passes the admission rules above. `ignoreCase` matches letters
 * of either case.
 */
export function compileSafeRegex(source: string, ignoreCase = false): SafeRegexResult {
  if (source.length === 0) return { ok: false, reason: 'must not be an empty regular expression' };
  if (source.length > MAX_REGEX_LENGTH) {
    return {
      ok: false,
      reason: `is longer than ${MAX_REGEX_LENGTH} characters (${source.length}); shorten the regular expression`,
    };
  }
  try {
    new RegExp(source, ignoreCase ? 'i' : '');
  } catch (err) {
    return { ok: false, reason: `is not a valid regular expression: ${(err as Error).message}` };
  }
  const size = branching(new Parser(source, ignoreCase).parse());
  if (size === Infinity) {
    return { ok: false, reason: 'uses a backreference, which cannot be matched in linear time; rewrite it without one' };
  }
  if (size > MAX_REGEX_BRANCHING) {
    return {
      ok: false,
      reason: `has ${size} character classes and alternatives once counted repetitions are expanded (at most ${MAX_REGEX_BRANCHING}); use smaller counts, such as {16,} instead of {16,64}`,
    };
  }
  try {
    return { ok: true, regex: RE2JS.compile(RE2JS.translateRegExp(source), ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) };
  } catch (err) {
    return {
      ok: false,
      reason: `uses syntax the linear-time regex engine does not support (such as a lookahead or lookbehind); rewrite it without: ${(err as Error).message}`,
    };
  }
}
