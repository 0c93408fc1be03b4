import { describe, expect, it } from 'vitest';
import { emptyFilter, filterFromQuery, filterToQuery } from './filters';

describe('request filters in the URL', () => {
  it('round-trip through the query, naming only the fields set', () => {
    const filter = { ...emptyFilter(), keyId: 'k1', decision: 'BLOCKED' as const, policyId: 'p1', ruleId: 'shell' };
    const query = filterToQuery(filter);
    expect(query).toEqual({ key: 'k1', decision: 'BLOCKED', policy: 'p1', rule: 'shell' });
    expect(filterFromQuery(query as Record<string, string>)).toEqual(filter);
  });

  it('ignores an unknown decision, empty and repeated parameters', () => {
    expect(filterFromQuery({ decision: 'MAYBE', model: '', team: ['a', 'b'] })).toEqual(emptyFilter());
  });
});
