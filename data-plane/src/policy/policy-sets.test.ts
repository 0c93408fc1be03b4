import { PolicyCompileError, type ConfigSnapshot, type KeyConfig, type PolicyConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigView } from '../config/view.js';
import { createLogger } from '../observability/logger.js';
import { PolicySets } from './policy-sets.js';

const ORG = '0190a5d0-0000-7000-8000-000000000001';
const OTHER_ORG = '0190a5d0-0000-7000-8000-000000000002';
const TEAM = '0190a5d0-0000-7000-8000-0000000000a1';
const id = (n: number) => `0190a5d0-0000-7000-8000-${String(n).padStart(12, '0')}`;

const key = (n: number, extra: Partial<KeyConfig> = {}): KeyConfig => ({
  id: id(100 + n),
  orgId: ORG,
  hash: String(n).padStart(64, '0'),
  prefix: 'kw_x',
  name: 'k',
  ownerLabel: 'o',
  teamId: null,
  status: 'active',
  expiresAt: null,
  graceUntil: null,
  allowedModels: [],
  credentialIds: [],
  labels: {},
  ...extra,
});

const policy = (n: number, extra: Partial<PolicyConfig> = {}): PolicyConfig => ({
  id: id(n),
  orgId: ORG,
  name: `p${n}`,
  version: 1,
  enabled: true,
  attachments: [{ kind: 'org', id: ORG }],
  document: { name: `p${n}`, rules: [{ id: 'r', action: { type: 'log', tags: [`p${n}`] } }] },
  ...extra,
});

function view(keys: KeyConfig[], policies: PolicyConfig[], version = 1): ConfigView {
  const snapshot: ConfigSnapshot = {
    type: 'snapshot',
    version,
    generatedAt: new Date(0).toISOString(),
    orgs: { [ORG]: { id: ORG, plan: 'pro', timeZone: 'Europe/Paris', contentCapture: false, limiterFailMode: 'open', customModels: [] } },
    keys: Object.fromEntries(keys.map((k) => [k.hash, k])),
    credentials: {},
    policies: Object.fromEntries(policies.map((p) => [p.id, p])),
    budgets: {},
    rateLimits: {},
    routes: {},
    roles: {},
    mcpServers: {},
  };
  return new ConfigView(snapshot);
}

describe('policy sets per key', () => {
  const sets = () => new PolicySets(createLogger('silent'));

  it('orders the organization’s, the team’s and the key’s policies, each once, and skips disabled and foreign ones', () => {
    const k = key(1, { teamId: TEAM });
    const v = view(
      [k],
      [
        policy(4, { attachments: [{ kind: 'key', id: k.id }] }),
        policy(5, { attachments: [{ kind: 'key', id: k.id }] }),
        policy(3, {
          attachments: [
            { kind: 'team', id: TEAM },
            { kind: 'key', id: k.id },
          ],
        }),
        policy(2),
        policy(6, { enabled: false }),
        policy(7, { orgId: OTHER_ORG, attachments: [{ kind: 'key', id: k.id }] }),
      ],
    );
    const set = sets().forKey(v, k, 'Europe/Paris');
    expect(set && !(set instanceof PolicyCompileError) && set.policies).toEqual([
      { id: id(2), version: 1, scope: 'org' },
      { id: id(3), version: 1, scope: 'team' },
      { id: id(4), version: 1, scope: 'key' },
      { id: id(5), version: 1, scope: 'key' },
    ]);
  });

  it('gives keys with the same policies one compiled set, and keeps it across config versions until a policy changes', () => {
    const s = sets();
    const [a, b] = [key(1), key(2)];
    const first = view([a, b], [policy(2)]);
    s.prepare(first);
    const shared = s.forKey(first, a, 'Europe/Paris');
    expect(shared).not.toBeNull();
    expect(s.forKey(first, b, 'Europe/Paris')).toBe(shared);

    const same = view([a, b], [policy(2)], 2);
    s.prepare(same);
    expect(s.forKey(same, a, 'Europe/Paris')).toBe(shared);

    const bumped = view([a, b], [policy(2, { version: 2 })], 3);
    s.prepare(bumped);
    const next = s.forKey(bumped, a, 'Europe/Paris');
    expect(next).not.toBe(shared);
    expect(next && !(next instanceof PolicyCompileError) && next.policies[0].version).toBe(2);
  });

  it('has nothing for a key no policy applies to', () => {
    expect(sets().forKey(view([key(1)], []), key(1), 'UTC')).toBeNull();
  });

  it('reports a policy that does not compile instead of skipping it', () => {
    const k = key(1);
    const broken = policy(2, { document: { name: 'bad', rules: [{ id: 'r', action: 'explode' }] } });
    expect(sets().forKey(view([k], [broken]), k, 'UTC')).toBeInstanceOf(PolicyCompileError);
  });
});
