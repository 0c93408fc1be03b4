import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileSafeRegex, parsePolicyDocument, validatePolicyDocument } from '../policy/index.js';
import { fuzzBudget } from './budget.js';

/** A document that takes longer than this to check is a denial of service on the control plane (generous: first calls of a code path compile it, and tests share two cores). */
const VALIDATE_BOUND_MS = 250;
/**
 * One admitted regex against a 10 kB prompt. Admission promises linear time, at most
 * `MAX_REPEAT` (256) steps per character: `a+b` on 10 kB of `a` takes about 40 ms (and a 1 MB
 * prompt about 4 s, which this bound does not prevent); a quadratic pattern takes far longer.
 */
const MATCH_BOUND_MS = 250;

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

  it('admits only regexes that match a long prompt within the bound', () => {
    const pieces = fc.constantFrom('a', 'b', '.', '*', '+', '?', '(', ')', '|', '[ab]', '\\d', '\\s', '{2,}', '^', '$', '(?:', '\\1', 'x');
    const prompts = ['a'.repeat(10_000), 'ab'.repeat(5_000) + '!', `${'a '.repeat(5_000)}x`];
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
          for (const prompt of prompts) expect(timed(() => compiled.regex.test(prompt), MATCH_BOUND_MS).ms).toBeLessThan(MATCH_BOUND_MS);
        },
      ),
      fuzzBudget(500),
    );
  });
});
