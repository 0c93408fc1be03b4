import { toMicros } from '@/composables/money';
import { BLOCKING_DECISIONS } from '@/composables/tone';
import type { UsageEventFieldsFragment } from '@/gql/graphql';

type Event = Pick<UsageEventFieldsFragment, 'keyId' | 'keyPrefix' | 'ownerLabel' | 'model' | 'decision' | 'costMicros' | 'startedAt'>;

/** Headline numbers for a set of requests. */
export interface Summary {
  readonly requests: number;
  readonly spendMicros: bigint;
  /** Stopped by a policy, a limit, a budget or a bad key. */
  readonly blocked: number;
  readonly errors: number;
}

/** Totals of the events that started at or after `since`. */
export function summarize(events: readonly Event[], since: number): Summary {
  let requests = 0;
  let spendMicros = 0n;
  let blocked = 0;
  let errors = 0;
  for (const e of events) {
    if (Date.parse(e.startedAt) < since) continue;
    requests += 1;
    spendMicros += toMicros(e.costMicros);
    if (BLOCKING_DECISIONS.has(e.decision)) blocked += 1;
    if (e.decision === 'ERROR') errors += 1;
  }
  return { requests, spendMicros, blocked, errors };
}

/** Per-bucket totals for one group (a model, a key, or "Other"). */
interface Series {
  readonly name: string;
  readonly requests: number[];
  readonly spendMicros: bigint[];
}

/** Grouped totals over time, ready for a stacked chart. */
export interface Buckets {
  /** Start instant of each bucket. */
  readonly starts: number[];
  readonly series: Series[];
}

/** Name of the series that collects every group outside the top ones. */
export const OTHER = 'Other';

/**
 * Splits events into time buckets (`edges` holds n+1 boundaries for n buckets) and groups them
 * by `groupOf`. The `top` groups by spend (then requests) get their own series; the rest are
 * added up as "Other", so a chart stays readable with hundreds of keys.
 */
export function bucketize(events: readonly Event[], edges: readonly number[], groupOf: (e: Event) => string, top = 5): Buckets {
  const n = edges.length - 1;
  const totals = new Map<string, { requests: number; spend: bigint }>();
  const placed: { group: string; bucket: number; spend: bigint }[] = [];
  for (const e of events) {
    const at = Date.parse(e.startedAt);
    const bucket = bucketOf(at, edges);
    if (bucket < 0) continue;
    const group = groupOf(e);
    const spend = toMicros(e.costMicros);
    const t = totals.get(group) ?? { requests: 0, spend: 0n };
    t.requests += 1;
    t.spend += spend;
    totals.set(group, t);
    placed.push({ group, bucket, spend });
  }
  const ranked = [...totals.entries()]
    .sort(([, a], [, b]) => (a.spend === b.spend ? b.requests - a.requests : a.spend > b.spend ? -1 : 1))
    .map(([name]) => name);
  const kept = new Set(ranked.slice(0, top));
  const names = [...ranked.slice(0, top), ...(ranked.length > top ? [OTHER] : [])];
  const series = new Map(names.map((name) => [name, { name, requests: Array.from({ length: n }, () => 0), spendMicros: Array.from({ length: n }, () => 0n) }]));
  for (const p of placed) {
    const s = series.get(kept.has(p.group) ? p.group : OTHER)!;
    s.requests[p.bucket]! += 1;
    s.spendMicros[p.bucket]! += p.spend;
  }
  return { starts: edges.slice(0, n), series: [...series.values()] };
}

function bucketOf(at: number, edges: readonly number[]): number {
  if (at < edges[0]! || at >= edges[edges.length - 1]!) return -1;
  let lo = 0;
  let hi = edges.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (at >= edges[mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** One key's share of the traffic. */
export interface KeyUsage {
  readonly keyId: string;
  readonly keyPrefix: string;
  readonly ownerLabel: string;
  readonly requests: number;
  readonly spendMicros: bigint;
  readonly blocked: number;
}

/** The keys that spent the most (then made the most requests), highest first. */
export function topKeys(events: readonly Event[], n = 5): KeyUsage[] {
  const byKey = new Map<string, { keyId: string; keyPrefix: string; ownerLabel: string; requests: number; spendMicros: bigint; blocked: number }>();
  for (const e of events) {
    const k = byKey.get(e.keyId) ?? { keyId: e.keyId, keyPrefix: e.keyPrefix, ownerLabel: e.ownerLabel, requests: 0, spendMicros: 0n, blocked: 0 };
    k.requests += 1;
    k.spendMicros += toMicros(e.costMicros);
    if (BLOCKING_DECISIONS.has(e.decision)) k.blocked += 1;
    byKey.set(e.keyId, k);
  }
  return [...byKey.values()].sort((a, b) => (a.spendMicros === b.spendMicros ? b.requests - a.requests : a.spendMicros > b.spendMicros ? -1 : 1)).slice(0, n);
}
