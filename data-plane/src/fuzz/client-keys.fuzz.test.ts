import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROVIDER_APIS } from '../providers/index.js';
import { fuzzBudget } from './budget.js';

const headerValue = fc.oneof(
  fc.string(),
  fc.string().map((s) => `Bearer ${s}`),
  fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token'), fc.constantFrom(' ', '\t', '  ', ''), fc.string()).map(([a, b, c]) => a + b + c),
);

describe('fuzz: the Authorization, x-api-key, x-goog-api-key and ?key= readers', () => {
  it('read a key only from what the agent sent, never throwing, for every API family', () => {
    fc.assert(
      fc.property(
        fc.record({ authorization: headerValue, 'x-api-key': fc.string(), 'x-goog-api-key': fc.string() }, { requiredKeys: [] }),
        fc.string(),
        (headers, query) => {
          const params = new URLSearchParams(query);
          for (const api of Object.values(PROVIDER_APIS)) {
            const key = api.clientKey(headers, params);
            if (key === null) continue;
            const sources = [...Object.values(headers), ...params.values()];
            expect(sources.some((value) => value.endsWith(key))).toBe(true);
          }
        },
      ),
      fuzzBudget(1_000),
    );
  });
});
