import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSafeRegex, parsePolicyDocument, validatePolicyDocument } from '../policy/index.js';
import { fuzzBudget } from './budget.js';

/** A document that takes longer than this to check is a denial of service on the control plane (generous: first calls of a code path compile it, and tests share two cores). */
const VALIDATE_BOUND_MS = 250;
/**
 * One admitted regex searched through a 1 MB prompt. Policy regexes run on `re2js`, linear in
 * the text, at a cost per character that grows with the pattern's size (capped at 32
 * character classes and alternatives): the largest admitted pattern on text that defeats its state cache (`a[ab]{32}$`
 * on random `a`/`b`) is the worst case: 1.8 to 2.5 s under a load average of 17 on two cores,
 * and more while other test files share the cores, which the bound leaves room for.
 * JavaScript's engine took 1.8 to 6.2 s for `a+$a` on 1 MB of `a` (repetitions bounded to 256)
 * and 15 s for `a.*b.*c` on 100 kB of `abab…` (about 150 s on 1 MB).
 */
const MATCH_1MB_BOUND_MS = 8_000;
const MB = 1_000_000;

const condition = fc.oneof(
  fc.record({ model: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })) }),
  fc.record({ prompt: fc.record({ matches: fc.string({ maxLength: 40 }) }) }),
  fc.record({ inputTokens: fc.record({ gt: fc.oneof(fc.integer(), fc.double(), fc.string()) }) }),
  fc.record({ toolOffered: fc.string() }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** Documents near the language's shape, so generation reaches deep into the validator, plus any JSON. */
const document = fc.oneof(
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
      rules: fc.array(
        fc.record(
          {
            id: fc.string(),
            when: condition,
            action: fc.oneof(fc.record({ type: fc.constantFrom('block', 'redact', 'hold', 'log', 'x') }), fc.jsonValue({ maxDepth: 2 })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 4 }),
);

/** `length` characters of `a` and `b` from a fixed-seed xorshift generator, ending with `b`. */
function randomAb(length: number): string {
  let state = 21;
  const chars: string[] = [];
  for (let i = 0; i < length - 1; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    chars.push(state & 1 ? 'a' : 'b');
  }
  return `${chars.join('')}b`;
}

/**
 * The result of `run` and its time: the least of up to three runs while over `bound`, so a
 * garbage collection or another process on the shared cores is not taken for a slow input.
 */
function timed<T>(run: () => T, bound: number): { value: T; ms: number } {
  let best = Infinity;
  let value: T;
  for (let attempt = 0; attempt < 3 && best >= bound; attempt++) {
    const started = performance.now();
    value = run();
    best = Math.min(best, performance.now() - started);
  }
  return { value: value!, ms: best };
}

describe('fuzz: the policy language', () => {
  it('answers any document, as JSON text, YAML text or parsed, with a result and errors naming a place, within the bound', () => {
    // Timed from the second call: the first one loads and compiles the validator.
    parsePolicyDocument('name: warm\nrules: []', 'yaml');
    parsePolicyDocument('{"name": "warm", "rules": []}', 'json');
    fc.assert(
      fc.property(document, (doc) => {
        for (const run of [
          () => validatePolicyDocument(doc),
          () => parsePolicyDocument(JSON.stringify(doc) ?? 'null', 'json'),
          () => parsePolicyDocument(stringify(doc), 'yaml'),
        ]) {
          const { value, ms } = timed(run, VALIDATE_BOUND_MS);
          expect(ms).toBeLessThan(VALIDATE_BOUND_MS);
          if (value.ok) expect(validatePolicyDocument(value.policy)).toEqual(value);
          else for (const error of value.errors) expect(typeof error.message === 'string' && error.message.length > 0).toBe(true);
        }
      }),
      fuzzBudget(300),
    );
  });

  it('answers any text, whatever its syntax, without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom('json', 'yaml', undefined), (text, format) => {
        const { value, ms } = timed(() => parsePolicyDocument(text, format), VALIDATE_BOUND_MS);
        expect(ms).toBeLessThan(VALIDATE_BOUND_MS);
        expect(typeof value.ok).toBe('boolean');
      }),
      fuzzBudget(500),
    );
  });

  it('searches 1 MB of hostile prompt with any admitted regex within the bound', () => {
    const pieces = fc.constantFrom(
      'a',
      'b',
      '.',
      '*',
      '+',
      '?',
      '(',
      ')',
      '|',
      '[ab]',
      '\\d',
      '\\s',
      '{2,}',
      '{9}',
      '^',
      '$',
      '(?:',
      '(?<=a)',
      '\\b',
      '\\1',
      'x',
    );
    const prompts = ['a'.repeat(MB), 'ab'.repeat(MB / 2 - 1) + '!', `${'a '.repeat(MB / 2 - 1)}x`, randomAb(MB)];
    fc.assert(
      fc.property(
        fc.array(pieces, { minLength: 1, maxLength: 16 }).map((p) => p.join('')),
        fc.boolean(),
        (source, ignoreCase) => {
          const compiled = compileSafeRegex(source, ignoreCase);
          if (!compiled.ok) {
            expect(compiled.reason.length).toBeGreaterThan(0);
            return;
          }
          for (const prompt of prompts) expect(timed(() => compiled.regex.test(prompt), MATCH_1MB_BOUND_MS).ms).toBeLessThan(MATCH_1MB_BOUND_MS);
        },
      ),
      fuzzBudget(4, [
        ['a[ab]{32}$', false],
        ['ignore (?:all )?(?:previous|prior) instructions', true],
        ['a.*b.*c', false],
      ]),
    );
  });
});
