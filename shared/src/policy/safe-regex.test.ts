import { describe, expect, it } from 'vitest';
import { compileSafeRegex, MAX_REGEX_LENGTH } from './safe-regex.js';

function reason(source: string, ignoreCase = false): string | null {
  const result = compileSafeRegex(source, ignoreCase);
  return result.ok ? null : result.reason;
}

describe('compileSafeRegex', () => {
  it.each([
    ['ignore (all )?previous instructions'],
    ['\\b(?:password|passwd|secret)\\s*[:=]\\s*\\S+'],
    ['.*foo.*bar'],
    ['^rm\\s+-rf\\s+/'],
    ['(?:[a-z]{2}\\d)+'],
    ['(?:foo|bar)+'],
    ['(?:\\w|-)+'],
    ['(?:a|bc)+'],
    ['https?://[^\\s/]+'],
    ['\\d{3}-\\d{2}-\\d{4}'],
    ['colou?r'],
    ['[A-Z]{2}\\d{2}'],
    ['(?<name>x)[\\d-z]'],
    ['\\w+@\\w+\\.com'],
    ['(?=\\d+)\\d'],
    ['a{2,5}b'],
    ['[\\s\\S]*?end'],
    ['\\s*\\S+'],
    ['[^"]*"'],
  ])('accepts %s', (source) => {
    expect(reason(source)).toBeNull();
  });

  it('returns a regex without stateful flags, case-insensitive on request', () => {
    const result = compileSafeRegex('abc', true);
    expect(result.ok && result.regex.flags).toBe('i');
  });

  it.each([['(a+)+'], ['(a*)*b'], ['(\\w+\\.)*'], ['(ab?)+'], ['(?:\\d+\\s?)+'], ['((a+))+'], ['(a{1,3}){2,}']])(
    'refuses the nested quantifiers of %s',
    (source) => {
      expect(reason(source)).toMatch(/nests quantifiers/);
    },
  );

  it.each([['(a|ab)*'], ['(\\w|\\d)+'], ['(a|)+'], ['(?:x|[a-z])+'], ['(a|a)+']])('refuses the ambiguous repeated alternation %s', (source) => {
    expect(reason(source)).toMatch(/repeats an alternation/);
  });

  it('treats letters of both cases as the same character when ignoring case', () => {
    expect(reason('(?:A|b)+', false)).toBeNull();
    expect(reason('(?:A|a)+', true)).toMatch(/repeats an alternation/);
  });

  it.each([['\\d+\\d*'], ['.*.*x'], ['\\w+\\s?\\w+'], ['(?:x\\d+)\\d+'], ['[a-z]+\\d*[a-z]*']])('refuses the adjacent repetitions of %s', (source) => {
    expect(reason(source)).toMatch(/side by side/);
  });

  it('refuses backreferences, numbered and named', () => {
    expect(reason('(a)\\1')).toMatch(/backreference/);
    expect(reason('(?<q>["\'])x\\k<q>')).toMatch(/backreference/);
  });

  it('reads \\1 without a group as a legacy escape, not a backreference', () => {
    expect(reason('a\\1')).toBeNull();
  });

  it('refuses invalid syntax with the engine message', () => {
    expect(reason('(')).toMatch(/^is not a valid regular expression: .*Unterminated group/);
  });

  it('refuses empty and overlong patterns', () => {
    expect(reason('')).toMatch(/must not be an empty regular expression/);
    expect(reason('a'.repeat(MAX_REGEX_LENGTH + 1))).toMatch(/is longer than 512 characters/);
  });

  it('bounds unbounded repetitions so that a search stays linear', () => {
    const result = compileSafeRegex('ignore.*instructions|a+?b{2,}c\\*[x*]');
    expect(result.ok && result.regex.source).toBe('ignore.{0,256}instructions|a{1,256}?b{2,256}c\\*[x*]');
    const slow = compileSafeRegex('ignore.*instructions');
    const hostile = 'ignore'.repeat(100_000);
    const started = performance.now();
    expect(slow.ok && slow.regex.test(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('keeps the meaning of a bounded pattern on ordinary text', () => {
    const result = compileSafeRegex('ignore (?:all )?previous.*instructions', true);
    expect(result.ok && result.regex.test('Please IGNORE all previous, earlier instructions.')).toBe(true);
  });

  it('accepts patterns whose refused cousins really are slow', () => {
    const hostile = 'a'.repeat(28) + '!';
    const accepted = compileSafeRegex('(?:a|b)+c');
    expect(accepted.ok).toBe(true);
    const started = performance.now();
    if (accepted.ok) accepted.regex.test(hostile.repeat(1000));
    // Linear time is milliseconds here; a backtracking pattern would take minutes. The bound is loose for shared CI machines.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
