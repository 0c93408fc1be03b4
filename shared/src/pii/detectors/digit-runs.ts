import type { DetectorName, Finding } from '../types.js';
import type { Acceptor } from './detector.js';

/**
 * Long numbers (phones, card numbers, social security numbers) all contain at least eight
 * digits linked by short runs of separators. One pass of this selective regex finds those
 * stretches; the detectors then try their own patterns only at the digit groups inside them,
 * instead of each scanning the whole text with a pattern that starts with a digit class, which
 * the engine cannot skip through quickly.
 */
const RUN = /\d(?:[ .\-()]{0,3}\d){7,}/g;

let memoText: string | null = null;
let memoRuns: readonly number[] = [];

/**
 * Start and end offsets of the long-number stretches of `text`, flattened as
 * `[start0, end0, start1, end1, …]`. The last result is kept, so the detectors that run on the
 * same text one after the other share one pass.
 */
export function digitRuns(text: string): readonly number[] {
  if (text === memoText) return memoRuns;
  const runs: number[] = [];
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) runs.push(m.index, m.index + m[0].length);
  memoText = text;
  memoRuns = runs;
  return runs;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const PLUS = 43;
const OPEN_PAREN = 40;

/** A sticky (`y`) pattern, where it may start, and the acceptor that validates its matches. */
export interface RunPattern {
  readonly re: RegExp;
  readonly accept: Acceptor;
  /** Fewest digits a match has: groups with fewer digits left in their stretch are skipped. */
  readonly minDigits: number;
  /**
   * `digit`: at the group's first digit; `plus`: at a `+` right before it (and nowhere else);
   * `paren`: at a `(` right before it, else at the digit.
   */
  readonly startsAt: 'digit' | 'plus' | 'paren';
}

/**
 * Builds a scanner that tries sticky patterns at the start of each digit group of each
 * long-number stretch; at each group the longest accepted match wins.
 */
export function runScanner(name: DetectorName, patterns: readonly RunPattern[]): (text: string, out: Finding[], limit: number) => void {
  for (const p of patterns) if (!p.re.sticky) throw new TypeError(`the ${name} detector needs sticky patterns`);
  const fewest = Math.min(...patterns.map((p) => p.minDigits));
  return (text, out, limit) => {
    const runs = digitRuns(text);
    for (let r = 0; r < runs.length && out.length < limit; r += 2) {
      const runEnd = runs[r + 1];
      let left = 0;
      for (let k = runs[r]; k < runEnd; k++) if (isDigit(text.charCodeAt(k))) left++;
      let i = runs[r];
      while (i < runEnd && left >= fewest && out.length < limit) {
        const before = i > 0 ? text.charCodeAt(i - 1) : 0;
        let bestStart = -1;
        let bestEnd = -1;
        for (const p of patterns) {
          if (left < p.minDigits || (p.startsAt === 'plus' && before !== PLUS)) continue;
          const start = p.startsAt === 'plus' || (p.startsAt === 'paren' && before === OPEN_PAREN) ? i - 1 : i;
          p.re.lastIndex = start;
          const m = p.re.exec(text);
          if (m === null) continue;
          const end = p.accept(text, m);
          if (end > start && (bestEnd < 0 || start < bestStart || (start === bestStart && end > bestEnd))) {
            bestStart = start;
            bestEnd = end;
          }
        }
        if (bestEnd >= 0) {
          out.push({ detector: name, start: bestStart, end: bestEnd, value: text.slice(bestStart, bestEnd) });
          // Continue after the finding; its digits are no longer available to later groups.
          while (i < bestEnd) if (isDigit(text.charCodeAt(i++))) left--;
        }
        // Move to the next digit group: past this group's digits, then past the separators.
        while (i < runEnd && isDigit(text.charCodeAt(i))) {
          i++;
          left--;
        }
        while (i < runEnd && !isDigit(text.charCodeAt(i))) i++;
      }
    }
  };
}
