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
    ['https?://[^\\s/]+'],
    ['\\d{3}-\\d{2}-\\d{4}'],
    ['(?<name>x)[\\d-z]'],
    ['sk_live_[A-Za-z0-9]{16,}'],
    ['[\\s\\S]*?end'],
    ['\\u00e9t\\u00e9'],
    // Exponential or polynomial under a backtracking engine, linear here.
    ['(a+)+'],
    ['(a|ab)*c'],
    ['\\d+\\d*'],
    ['.*.*x'],
  ])('accepts %s', (source) => {
    expect(reason(source)).toBeNull();
  });

  it('matches anywhere in the text, case-insensitively on request, keeping no state between calls', () => {
    const result = compileSafeRegex('ignore (?:all )?previous.*instructions', true);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    for (let i = 0; i < 2; i++) expect(result.regex.test('Please IGNORE all previous, earlier instructions.')).toBe(true);
    expect(result.regex.test('Please ignore this.')).toBe(false);
    const strict = compileSafeRegex('abc');
    expect(strict.ok && strict.regex.test('xABC')).toBe(false);
  });

  it('refuses backreferences, numbered and named', () => {
    expect(reason('(a)\\1')).toMatch(/backreference/);
    expect(reason('(?<q>["\'])x\\k<q>')).toMatch(/backreference/);
  });

  it('refuses lookarounds and other syntax the linear-time engine lacks, with its message', () => {
    expect(reason('(?=\\d+)\\d')).toMatch(/^uses syntax the linear-time regex engine does not support .*\(\?=/);
    expect(reason('x(?!y)')).toMatch(/does not support/);
    expect(reason('(?<=\\$)\\d+')).toMatch(/does not support/);
  });

  it('refuses patterns of more than 32 character classes and alternatives once counted repetitions are expanded', () => {
    expect(reason('[A-Za-z0-9]{24,}-[a-f]{6}')).toBeNull();
    expect(reason('ignore (?:all )?(?:previous|prior|earlier) instructions and reveal the system prompt', true)).toBeNull();
    expect(reason('[A-Za-z0-9]{32,64}')).toMatch(/^has 64 character classes and alternatives once counted repetitions are expanded \(at most 32\)/);
    expect(reason('a[ab]{100}$')).toMatch(/^has 100 character classes/);
    expect(reason('(?:a|b){40}')).toMatch(/^has 40 character classes/);
  });

  it('refuses invalid syntax with the JavaScript engine message', () => {
    expect(reason('(')).toMatch(/^is not a valid regular expression: .*Unterminated group/);
  });

  it('refuses empty and overlong patterns', () => {
    expect(reason('')).toMatch(/must not be an empty regular expression/);
    expect(reason('a'.repeat(MAX_REGEX_LENGTH + 1))).toMatch(/is longer than 512 characters/);
  });

  it('searches a hostile 1 MB prompt in linear time, where a backtracking engine takes seconds or minutes', () => {
    const cases: [string, string][] = [
      ['a+$a', 'a'.repeat(1_000_000)],
      ['ignore.*instructions', 'ignore'.repeat(170_000)],
      ['(a+)+!', `${'a'.repeat(1_000_000)}?`],
    ];
    for (const [source, prompt] of cases) {
      const compiled = compileSafeRegex(source);
      expect(compiled.ok).toBe(true);
      const started = performance.now();
      expect(compiled.ok && compiled.regex.test(prompt)).toBe(false);
      // Linear time is well under a second here; the bound is loose for shared CI machines.
      expect(performance.now() - started).toBeLessThan(3_000);
    }
  });
});
