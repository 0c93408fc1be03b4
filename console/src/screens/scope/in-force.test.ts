import { describe, expect, it } from 'vitest';
import { headroomMicros, limitsInForce, policiesInForce } from './in-force';

const limit = (id: string, kind: 'ORG' | 'TEAM' | 'KEY' | 'POOL', scopeId: string) => ({ id, scope: { kind, id: scopeId } });
const policy = (id: string, enabled: boolean, ...attachments: [kind: 'ORG' | 'TEAM' | 'KEY', id: string][]) => ({
  id,
  enabled,
  attachments: attachments.map(([kind, scopeId]) => ({ kind, id: scopeId })),
});

describe('what is in force for a key or a team', () => {
  it("keeps the organization's, the team's and the key's own limits, broadest first", () => {
    const limits = [
      limit('k', 'KEY', 'key-1'),
      limit('other', 'KEY', 'key-2'),
      limit('t', 'TEAM', 'team-1'),
      limit('o', 'ORG', 'org'),
      limit('p', 'POOL', 'pool'),
    ];
    expect(limitsInForce(limits, { keyId: 'key-1', teamId: 'team-1' }).map((l) => l.id)).toEqual(['o', 't', 'k']);
    expect(limitsInForce(limits, { keyId: null, teamId: 'team-1' }, new Set(['key-2'])).map((l) => l.id)).toEqual(['o', 't', 'other']);
  });

  it('orders enabled policies as the data plane evaluates them, each once', () => {
    const policies = [
      policy('p3', true, ['KEY', 'key-1']),
      policy('p2', true, ['TEAM', 'team-1'], ['KEY', 'key-1']),
      policy('p1', true, ['ORG', 'org']),
      policy('p0', false, ['ORG', 'org']),
      policy('p4', true, ['KEY', 'key-9']),
    ];
    expect(policiesInForce(policies, { keyId: 'key-1', teamId: 'team-1' }).map(({ policy: p, scope }) => [p.id, scope])).toEqual([
      ['p1', 'ORG'],
      ['p2', 'TEAM'],
      ['p3', 'KEY'],
    ]);
    expect(policiesInForce(policies, { keyId: 'key-1', teamId: null }).map(({ policy: p }) => p.id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('gives the headroom left in a budget, none once it is spent', () => {
    expect(headroomMicros({ limitMicros: 5_000_000, spentMicros: 1_250_000 })).toBe(3_750_000);
    expect(headroomMicros({ limitMicros: 5_000_000, spentMicros: 6_000_000 })).toBe(0);
  });
});
