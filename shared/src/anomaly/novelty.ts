/**
 * The values a key has used (models, endpoints, tools, client IP and user-agent hashes), and how
 * often it has used a value it had not used before.
 *
 * The chance that the next request brings a new value is estimated the Good–Turing way: new
 * values seen so far over observations so far. A key that has called from the same three
 * addresses for ten thousand requests makes a fourth one very surprising; a key whose serverless
 * callers change address every hour makes it ordinary. A value becomes trusted
 * `TRUST_AFTER_MS` after it was first seen (`newness`).
 */

/** When a value was first and last seen (epoch ms). */
export interface SeenValue {
  first: number;
  last: number;
}

/** One novelty set: bounded, most recently seen values kept. */
export interface NoveltySet {
  /** Value (a model name, a hash…) → when it was seen. */
  seen: Record<string, SeenValue>;
  /** Observations that brought a value not in `seen`. */
  novel: number;
  observations: number;
}

/** Values kept per set (enough for the 168 hours of a week); the least recently seen goes first. */
const MAX_VALUES = 200;
/** Counts are halved past this, so the novelty rate follows a key whose habits change. */
const MAX_OBSERVATIONS = 20_000;
/** A value is trusted once it has been seen over this long. */
export const TRUST_AFTER_MS = 30 * 60_000;

/** An empty novelty set. */
export function emptyNoveltySet(): NoveltySet {
  return { seen: {}, novel: 0, observations: 0 };
}

/** Records one observation of `value` at `at` (epoch ms). */
export function observeValue(set: NoveltySet, value: string, at: number): void {
  set.observations += 1;
  const known = set.seen[value];
  if (known !== undefined) {
    known.last = Math.max(known.last, at);
    return;
  }
  set.novel += 1;
  set.seen[value] = { first: at, last: at };
  const names = Object.keys(set.seen);
  if (names.length > MAX_VALUES) {
    let oldest = names[0]!;
    for (const name of names) if (set.seen[name]!.last < set.seen[oldest]!.last) oldest = name;
    delete set.seen[oldest];
  }
  if (set.observations > MAX_OBSERVATIONS) {
    set.observations /= 2;
    set.novel /= 2;
  }
}

/**
 * How new `value` is at `at`: 1 when never seen, fading to 0 (trusted) over `TRUST_AFTER_MS`
 * after it was first seen. The surprise of a new value belongs to its first calls; a value that
 * has kept calling for twenty minutes is not fresh evidence on each of them.
 */
export function newness(set: NoveltySet, value: string, at: number): number {
  const known = set.seen[value];
  if (known === undefined) return 1;
  return Math.min(1, Math.max(0, 1 - (at - known.first) / TRUST_AFTER_MS));
}

/** True when `value` was first seen at least `TRUST_AFTER_MS` before `at`. */
export function isTrusted(set: NoveltySet, value: string, at: number): boolean {
  return newness(set, value, at) === 0;
}

/** The estimated chance (0–1] that an observation brings a value never seen before. */
export function noveltyChance(set: NoveltySet): number {
  return (set.novel + 1) / (set.observations + 2);
}
