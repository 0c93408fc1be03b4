import { describe, expect, it } from 'vitest';
import type { ConfigCollections, OrgConfig } from './config.js';
import { applyConfigDelta, diffConfigCollections, mergeConfigChanges, stableJson } from './delta.js';

function org(id: string, plan: OrgConfig['plan'] = 'free'): OrgConfig {
  return { id, plan, timeZone: 'UTC', contentCapture: false, limiterFailMode: 'closed', customModels: [] };
}

const empty: ConfigCollections = { orgs: {}, keys: {}, credentials: {}, policies: {}, budgets: {}, rateLimits: {}, routes: {}, roles: {}, mcpServers: {} };

describe('applying a config delta', () => {
  it('adds, replaces and removes entries without touching the old state', () => {
    const state: ConfigCollections = { ...empty, orgs: { a: org('a'), b: org('b') } };
    const next = applyConfigDelta(state, { changed: { orgs: { a: org('a', 'pro'), c: org('c') } }, removed: { orgs: ['b'] } });
    expect(Object.keys(next.orgs).sort()).toEqual(['a', 'c']);
    expect(next.orgs.a.plan).toBe('pro');
    expect(Object.keys(state.orgs).sort()).toEqual(['a', 'b']);
    expect(state.orgs.a.plan).toBe('free');
  });

  it('keeps untouched collections as the same objects', () => {
    const state: ConfigCollections = { ...empty, orgs: { a: org('a') } };
    const next = applyConfigDelta(state, { changed: {}, removed: { orgs: ['a'] } });
    expect(next.keys).toBe(state.keys);
    expect(next.credentials).toBe(state.credentials);
    expect(next.orgs).toEqual({});
  });

  it('ignores removal of an id it does not have', () => {
    const state: ConfigCollections = { ...empty, orgs: { a: org('a') } };
    expect(applyConfigDelta(state, { changed: {}, removed: { orgs: ['zzz'] } }).orgs).toEqual({ a: org('a') });
  });
});

describe('diffing config collections', () => {
  it('reports new and changed entries and removed ids, per collection', () => {
    const prev: ConfigCollections = { ...empty, orgs: { a: org('a'), b: org('b'), c: org('c') } };
    const next: ConfigCollections = { ...empty, orgs: { a: org('a'), b: org('b', 'enterprise'), d: org('d') } };
    expect(diffConfigCollections(prev, next)).toEqual({
      changed: { orgs: { b: org('b', 'enterprise'), d: org('d') } },
      removed: { orgs: ['c'] },
    });
  });

  it('sees no change when only key order differs', () => {
    const reordered = Object.fromEntries(Object.entries(org('a')).reverse()) as unknown as OrgConfig;
    const diff = diffConfigCollections({ ...empty, orgs: { a: org('a') } }, { ...empty, orgs: { a: reordered } });
    expect(diff).toEqual({ changed: {}, removed: {} });
  });

  it('produces a delta that turns the old state into the new one', () => {
    const prev: ConfigCollections = { ...empty, orgs: { a: org('a'), b: org('b') } };
    const next: ConfigCollections = { ...empty, orgs: { b: org('b', 'pro'), e: org('e') } };
    expect(applyConfigDelta(prev, diffConfigCollections(prev, next))).toEqual(next);
  });
});

describe('stable JSON', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(stableJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
  });
});

describe('merging config changes', () => {
  it('applies like the two deltas one after the other, whatever happened to an entry in between', () => {
    const start: ConfigCollections = { ...empty, orgs: { a: org('a'), b: org('b'), c: org('c') } };
    const first = { changed: { orgs: { a: org('a', 'pro'), d: org('d') } }, removed: { orgs: ['b', 'c'] } };
    const second = { changed: { orgs: { b: org('b', 'enterprise'), a: org('a', 'enterprise') } }, removed: { orgs: ['d'] } };
    const merged = mergeConfigChanges(first, second);
    expect(applyConfigDelta(start, merged)).toEqual(applyConfigDelta(applyConfigDelta(start, first), second));
    expect(Object.keys(merged.changed.orgs ?? {}).sort()).toEqual(['a', 'b']);
    expect([...(merged.removed.orgs ?? [])].sort()).toEqual(['c', 'd']);
  });

  it('leaves out collections neither touched, and changes neither argument', () => {
    const first = { changed: { keys: {} }, removed: {} };
    const merged = mergeConfigChanges(first, { changed: {}, removed: {} });
    expect(merged).toEqual({ changed: {}, removed: {} });
    expect(first).toEqual({ changed: { keys: {} }, removed: {} });
  });
});
