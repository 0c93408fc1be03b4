import { describe, expect, it } from 'vitest';
import type { OverviewQuery } from '@/gql/graphql';
import { bucketsOf, OTHER, summaryOf, topKeysOf } from './aggregate';

const hour = (h: number) => new Date(Date.UTC(2026, 10, 23, h)).toISOString();
const point = (h: number, requests: number, costMicros: number, blocked = 0, errors = 0) => ({ start: hour(h), requests, costMicros, blocked, errors });

const report: OverviewQuery['overview'] = {
  points: [point(0, 1, 1_000), point(1, 3, 4_000_000_000_000, 1, 1), point(2, 2, 7, 1, 0)],
  series: [
    { group: 'gpt-4o', label: null, requests: [1, 2, 0], costMicros: [1_000, 4_000_000_000_000, 0] },
    { group: '', label: null, requests: [0, 1, 0], costMicros: [0, 0, 0] },
    { group: null, label: null, requests: [0, 0, 2], costMicros: [0, 0, 7] },
  ],
  topKeys: [
    { keyId: 'k1', name: 'ci-agent', prefix: 'kw_1', requests: 4, costMicros: 4_000_000_000_007, blocked: 2 },
    { keyId: 'k2', name: null, prefix: 'kw_2', requests: 2, costMicros: 1_000, blocked: 0 },
  ],
};

describe('overview numbers', () => {
  it('adds up requests, spend, blocked and failed requests of the points since a moment, exactly', () => {
    expect(summaryOf(report.points, Date.parse(hour(1)))).toEqual({ requests: 5, spendMicros: 4_000_000_000_007n, blocked: 2, errors: 1 });
  });

  it('names the series for people: the model, "No model", a key, or Other', () => {
    const buckets = bucketsOf(report, 'model');
    expect(buckets.starts).toEqual([0, 1, 2].map((h) => Date.parse(hour(h))));
    expect(buckets.series.map((s) => s.name)).toEqual(['gpt-4o', 'No model', OTHER]);
    expect(buckets.series[0]!.spendMicros).toEqual([1_000n, 4_000_000_000_000n, 0n]);
    const byKey = bucketsOf({ ...report, series: [{ group: 'k1', label: 'ci-agent', requests: [1, 0, 0], costMicros: [5, 0, 0] }] }, 'key');
    expect(byKey.series[0]!.name).toBe('ci-agent');
  });

  it('lists the top keys by name, or by prefix once a key is deleted', () => {
    expect(topKeysOf(report).map((k) => [k.name, k.spendMicros, k.blocked])).toEqual([
      ['ci-agent', 4_000_000_000_007n, 2],
      ['kw_2…', 1_000n, 0],
    ]);
  });
});
