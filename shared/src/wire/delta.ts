import { COLLECTION_NAMES, type CollectionName, type ConfigCollections, type ConfigDelta } from './config.js';

/** The part of a `ConfigDelta` that carries entries: what changed and what was removed. */
export type ConfigChanges = Pick<ConfigDelta, 'changed' | 'removed'>;

type MutableCollections = { -readonly [K in CollectionName]: ConfigCollections[K] };
type AnyCollection = Readonly<Record<string, unknown>>;

/**
 * Applies a delta's changed and removed entries to a node's collections. Pure: returns new
 * collections and leaves `state` untouched; a collection the delta does not touch is the same
 * object as before, so unchanged maps cost nothing. Version bookkeeping stays with the caller.
 */
export function applyConfigDelta(state: ConfigCollections, delta: ConfigChanges): ConfigCollections {
  const next: MutableCollections = { ...state };
  for (const name of COLLECTION_NAMES) {
    const entries = applyCollectionChanges<AnyCollection>(state[name], delta.changed[name], delta.removed[name]);
    if (entries !== state[name]) (next as Record<CollectionName, AnyCollection>)[name] = entries;
  }
  return next;
}

/**
 * One collection after a delta's `changed` and `removed` entries for it: a new record, or the
 * same `entries` object when the delta does not touch it. `entries` is left untouched.
 */
export function applyCollectionChanges<T extends AnyCollection>(entries: T, changed: T | undefined, removed: readonly string[] | undefined): T {
  if (changed === undefined && (removed === undefined || removed.length === 0)) return entries;
  // Collections added to the contract later are absent from older stored configs.
  const map: Record<string, unknown> = { ...((entries ?? {}) as AnyCollection), ...changed };
  for (const id of removed ?? []) delete map[id];
  return map as T;
}

/**
 * The changes of `first` followed by those of `second`, as one set: the later value of an entry
 * wins, an entry removed and then added again is changed, one changed and then removed is
 * removed. Pure; neither argument is modified.
 */
export function mergeConfigChanges(first: ConfigChanges, second: ConfigChanges): ConfigChanges {
  const changed: Partial<Record<CollectionName, Record<string, unknown>>> = {};
  const removed: Partial<Record<CollectionName, string[]>> = {};
  for (const name of COLLECTION_NAMES) {
    const laterChanged = (second.changed[name] ?? {}) as AnyCollection;
    const laterRemoved = second.removed[name] ?? [];
    const map: Record<string, unknown> = { ...((first.changed[name] ?? {}) as AnyCollection) };
    const gone = new Set(first.removed[name] ?? []);
    for (const id of laterRemoved) {
      delete map[id];
      gone.add(id);
    }
    for (const id of Object.keys(laterChanged)) {
      map[id] = laterChanged[id];
      gone.delete(id);
    }
    if (Object.keys(map).length > 0) changed[name] = map;
    if (gone.size > 0) removed[name] = [...gone];
  }
  return { changed: changed as ConfigDelta['changed'], removed };
}

/**
 * The delta that turns `prev` into `next`: entries that are new or differ (compared as stable
 * JSON, so key order does not matter) and ids that disappeared. Collections without changes are
 * left out, so an empty result means nothing to publish.
 */
export function diffConfigCollections(prev: ConfigCollections, next: ConfigCollections): ConfigChanges {
  const changed: Partial<Record<CollectionName, Record<string, unknown>>> = {};
  const removed: Partial<Record<CollectionName, string[]>> = {};
  for (const name of COLLECTION_NAMES) {
    // Collections added to the contract later are absent from older stored configs.
    const before = (prev[name] ?? {}) as AnyCollection;
    const after = (next[name] ?? {}) as AnyCollection;
    const changedHere: Record<string, unknown> = {};
    let anyChanged = false;
    for (const id of Object.keys(after)) {
      if (!Object.hasOwn(before, id) || stableJson(before[id]) !== stableJson(after[id])) {
        changedHere[id] = after[id];
        anyChanged = true;
      }
    }
    const removedHere = Object.keys(before).filter((id) => !Object.hasOwn(after, id));
    if (anyChanged) changed[name] = changedHere;
    if (removedHere.length > 0) removed[name] = removedHere;
  }
  return { changed: changed as ConfigDelta['changed'], removed };
}

/** `JSON.stringify` with object keys sorted at every level: equal values give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}
