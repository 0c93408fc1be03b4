import {
  applyConfigDelta,
  PolicyCompileError,
  type ConfigChanges,
  type ConfigCollections,
  type ConfigSnapshot,
  type KeyConfig,
  type PolicyConfig,
  type ScopeRef,
} from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { PolicySets } from '../policy/policy-sets.js';
import { LayeredMap } from './layered-map.js';
import { ConfigView } from './view.js';

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { chance: (p: number) => next() < p, int, pick: <T>(items: readonly T[]): T => items[int(items.length)] };
}

type Random = ReturnType<typeof random>;

const ORGS = ['org-a', 'org-b', 'org-c'];
const TEAMS = ['team-1', 'team-2', 'team-3', 'team-4'];
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Tokyo'];
const KEY_IDS = Array.from({ length: 60 }, (_, i) => `key-${i}`);
const POLICY_IDS = Array.from({ length: 8 }, (_, i) => `policy-${i}`);
const CREDENTIAL_IDS = Array.from({ length: 6 }, (_, i) => `cred-${i}`);

let serial = 0;

function keyEntry(r: Random, id = r.pick(KEY_IDS)): KeyConfig {
  const hash = `hash-${id}-${serial++}`;
  return {
    id,
    orgId: ORGS[Number(id.split('-')[1]) % ORGS.length],
    hash,
    prefix: 'kw_x',
    name: `name ${serial}`,
    ownerLabel: 'o',
    teamId: r.chance(0.6) ? r.pick(TEAMS) : null,
    status: 'active',
    expiresAt: null,
    graceUntil: r.chance(0.1) ? new Date(0).toISOString() : null,
    allowedModels: [],
    credentialIds: r.chance(0.5) ? [r.pick(CREDENTIAL_IDS)] : [],
    labels: { n: String(serial) },
  };
}

function scope(r: Random, orgId: string): ScopeRef {
  const kind = r.pick(['org', 'team', 'key', 'key'] as const);
  return { kind, id: kind === 'org' ? orgId : kind === 'team' ? r.pick(TEAMS) : r.pick(KEY_IDS) };
}

function policyEntry(r: Random, id = r.pick(POLICY_IDS)): PolicyConfig {
  const orgId = r.pick(ORGS);
  const name = `${id} v${serial++}`;
  return {
    id,
    orgId,
    name,
    version: serial,
    enabled: r.chance(0.85),
    attachments: Array.from({ length: r.int(3) }, () => scope(r, orgId)),
    document: { name, rules: [{ id: 'tag', action: { type: 'log', tags: [id] } }] },
  };
}

function orgEntry(r: Random, id: string) {
  return { id, plan: 'pro' as const, timeZone: r.pick(ZONES), contentCapture: false, limiterFailMode: 'open' as const, customModels: [] };
}

function credentialEntry(r: Random, id = r.pick(CREDENTIAL_IDS)) {
  return {
    id,
    orgId: r.pick(ORGS),
    provider: 'openai' as const,
    name: `credential ${serial++}`,
    baseUrl: null,
    models: [],
    secret: { kekId: 'k', wrappedKey: 'AA==', iv: 'AAAAAAAAAAAAAAAA', ciphertext: '', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' },
    secretVersion: serial,
  };
}

function budgetEntry(r: Random, id: string) {
  const orgId = r.pick(ORGS);
  return { id, orgId, scope: scope(r, orgId), period: 'month' as const, limitMicros: r.int(1000), action: 'block' as const, alertThresholds: [] };
}

function startingCollections(r: Random): ConfigCollections {
  const byId = <T extends { id: string }>(items: T[]) => Object.fromEntries(items.map((item) => [item.id, item]));
  const keys = KEY_IDS.filter(() => r.chance(0.7)).map((id) => keyEntry(r, id));
  return {
    orgs: byId(ORGS.map((id) => orgEntry(r, id))),
    keys: Object.fromEntries(keys.map((k) => [k.hash, k])),
    credentials: byId(CREDENTIAL_IDS.slice(0, 4).map((id) => credentialEntry(r, id))),
    policies: byId(POLICY_IDS.slice(0, 5).map((id) => policyEntry(r, id))),
    budgets: byId(['budget-1', 'budget-2'].map((id) => budgetEntry(r, id))),
    rateLimits: {},
    routes: {},
    roles: {},
    mcpServers: {},
  };
}

/** Mostly key changes (what nodes see most), sometimes anything else a control plane publishes. */
function randomChanges(r: Random, state: ConfigCollections): ConfigChanges {
  const changed: Record<string, Record<string, unknown>> = {};
  const removed: Record<string, string[]> = {};
  const set = (name: string, id: string, value: unknown) => ((changed[name] ??= {})[id] = value);
  const drop = (name: string, id: string) => (removed[name] ??= []).push(id);
  const hashes = Object.keys(state.keys);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const roll = r.int(20);
    if (roll < 8 && hashes.length > 0) {
      const old = state.keys[r.pick(hashes)];
      set('keys', old.hash, { ...keyEntry(r, old.id), hash: old.hash });
    } else if (roll < 11) {
      const entry = keyEntry(r);
      set('keys', entry.hash, entry);
    } else if (roll < 13 && hashes.length > 0) drop('keys', r.pick(hashes));
    else if (roll < 14) {
      const entry = policyEntry(r);
      set('policies', entry.id, entry);
    } else if (roll < 15) drop('policies', r.pick(POLICY_IDS));
    else if (roll < 16) {
      const entry = credentialEntry(r);
      set('credentials', entry.id, entry);
    } else if (roll < 17) drop('credentials', r.pick(CREDENTIAL_IDS));
    else if (roll < 18) {
      const id = r.pick(ORGS);
      set('orgs', id, orgEntry(r, id));
    } else if (roll < 19) {
      const id = r.pick(['budget-1', 'budget-2', 'budget-3']);
      set('budgets', id, budgetEntry(r, id));
    } else drop('keys', `hash-that-was-never-there-${serial++}`);
  }
  // A delta never lists an entry as both changed and removed.
  for (const [name, ids] of Object.entries(removed)) removed[name] = ids.filter((id) => !changed[name] || !Object.hasOwn(changed[name], id));
  return { changed, removed } as ConfigChanges;
}

function policiesOf(sets: PolicySets, view: ConfigView, key: KeyConfig) {
  const result = sets.forKey(view, key, view.org(key.orgId)?.timeZone ?? 'UTC');
  if (result === null) return null;
  return result instanceof PolicyCompileError ? result.message : result.policies;
}

/** Everything a request or a later change can read from a view, as comparable values. */
function observed(view: ConfigView, sets: PolicySets) {
  const keys = [...view.allKeys()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
  return {
    version: view.version,
    counts: view.counts(),
    keys: keys.map((key) => ({ key, byHash: view.keyByHash(key.hash), policies: policiesOf(sets, view, key) })),
    orgs: ORGS.map((id) => view.org(id)),
    credentials: CREDENTIAL_IDS.map((id) => view.credential(id)),
    orgCredentials: ORGS.map((id) => view.orgCredentials(id)),
    policies: view.policies,
    budgets: view.budgets,
    rateLimits: view.rateLimits,
    snapshot: { ...view.snapshot, generatedAt: null },
  };
}

describe('config view', () => {
  it('applies random deltas to its indexes exactly as a full rebuild from the merged snapshot would build them', () => {
    const logger = createLogger('silent');
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = random(seed);
      let collections = startingCollections(r);
      const first: ConfigSnapshot = { type: 'snapshot', version: 1, generatedAt: new Date(0).toISOString(), ...collections };
      let view = new ConfigView(first);
      const incremental = new PolicySets(logger);
      incremental.prepare(view);
      for (let version = 2; version <= 150; version++) {
        const changes = randomChanges(r, collections);
        const previous = view;
        view = previous.applying({ version, generatedAt: new Date(version).toISOString(), ...changes });
        incremental.prepare(view, { previous, changes });
        collections = applyConfigDelta(collections, changes);

        const rebuilt = new ConfigView({ type: 'snapshot', version, generatedAt: new Date(version).toISOString(), ...collections });
        const fresh = new PolicySets(logger);
        fresh.prepare(rebuilt);
        expect(observed(view, incremental), `seed ${seed}, version ${version}`).toEqual(observed(rebuilt, fresh));
        for (const hash of changes.removed.keys ?? []) expect(view.keyByHash(hash)).toBeUndefined();
      }
    }
  });

  it('leaves the view it was derived from as it was', () => {
    const r = random(9);
    const collections = startingCollections(r);
    const before = new ConfigView({ type: 'snapshot', version: 1, generatedAt: new Date(0).toISOString(), ...collections });
    const [hash] = Object.keys(collections.keys);
    const after = before.applying({ version: 2, generatedAt: new Date(1).toISOString(), changed: {}, removed: { keys: [hash] } });
    expect(after.keyByHash(hash)).toBeUndefined();
    expect(before.keyByHash(hash)).toBe(collections.keys[hash]);
    expect(before.snapshot.keys).toBe(collections.keys);
    expect(before.counts().keys - after.counts().keys).toBe(1);
  });

  it('keeps the indexes of collections a delta does not touch', () => {
    const r = random(11);
    const collections = startingCollections(r);
    const before = new ConfigView({ type: 'snapshot', version: 1, generatedAt: new Date(0).toISOString(), ...collections });
    const key = keyEntry(r);
    const after = before.applying({ version: 2, generatedAt: new Date(1).toISOString(), changed: { keys: { [key.hash]: key } }, removed: {} });
    expect(after.policies).toBe(before.policies);
    expect(after.budgets).toBe(before.budgets);
    expect(after.orgCredentials(ORGS[0])).toBe(before.orgCredentials(ORGS[0]));
  });
});

describe('layered map', () => {
  it('reads like a plain map through every change and fold, a removal winning over a change of the same id', () => {
    const r = random(7);
    let layered = LayeredMap.of<number>([]);
    const plain = new Map<string, number>();
    for (let step = 0; step < 2000; step++) {
      const changed: Record<string, number> = {};
      const removed: string[] = [];
      for (let n = r.int(4); n > 0; n--) {
        const id = `k${r.int(300)}`;
        if (r.chance(0.3)) removed.push(id);
        else changed[id] = step;
      }
      layered = layered.with(changed, removed);
      for (const [id, value] of Object.entries(changed)) plain.set(id, value);
      for (const id of removed) plain.delete(id);
      expect(layered.size).toBe(plain.size);
      expect(new Map(layered.entries())).toEqual(plain);
    }
    for (let id = 0; id < 300; id++) expect(layered.get(`k${id}`)).toBe(plain.get(`k${id}`));
  });
});
