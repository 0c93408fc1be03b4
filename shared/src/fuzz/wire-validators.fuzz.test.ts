import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfigMessage, validateEventBatch, validateRouteDocument, WireError } from '../wire/validate.js';
import { fuzzBudget } from './budget.js';

const VALIDATORS = { validateConfigMessage, validateEventBatch, validateRouteDocument };

/** Messages near the wire shapes, so generation gets past the first checks, plus any JSON. */
const message = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('snapshot', 'delta', 'events', 'x'),
      version: fc.jsonValue({ maxDepth: 1 }),
      nodeId: fc.jsonValue({ maxDepth: 1 }),
      events: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }),
);

describe('fuzz: the wire validators (config, events, routes)', () => {
  it('accept a message or refuse it with a WireError sentence, never another exception, and accept what they return', () => {
    fc.assert(
      fc.property(message, (value) => {
        for (const validate of Object.values(VALIDATORS) as ((v: unknown) => unknown)[]) {
          let accepted: unknown;
          try {
            accepted = validate(value);
          } catch (err) {
            expect(err).toBeInstanceOf(WireError);
            expect((err as WireError).message.length).toBeGreaterThan(0);
            continue;
          }
          expect(() => validate(JSON.parse(JSON.stringify(accepted)))).not.toThrow();
        }
      }),
      fuzzBudget(1_000),
    );
  });
});
