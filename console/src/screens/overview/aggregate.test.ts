import { describe, expect, it } from 'vitest';
import { usageEvent } from '@/testing/fixtures';
import { bucketize, OTHER, summarize, topKeys } from './aggregate';

const at = (hour: number) => new Date(Date.UTC(2026, 10, 23, hour, 30)).toISOString();
const hour = (h: number) => Date.UTC(2026, 10, 23, h);

describe('overview numbers', () => {
  it('counts requests, spend, blocked and failed requests since a moment', () => {
    const events = [
      usageEvent({ startedAt: at(1), costMicros: 4_000_000_000_000 }),
      usageEvent({ startedAt: at(2), costMicros: 7, decision: 'BLOCKED' }),
      usageEvent({ startedAt: at(3), costMicros: 0, decision: 'RATE_LIMITED' }),
      usageEvent({ startedAt: at(3), costMicros: 0, decision: 'ERROR' }),
      usageEvent({ startedAt: at(0), costMicros: 1000 }),
    ];
    expect(summarize(events, hour(1))).toEqual({ requests: 4, spendMicros: 4_000_000_000_007n, blocked: 2, errors: 1 });
  });

  it('puts events in time buckets by group, folding small groups into Other', () => {
    const events = [
      usageEvent({ startedAt: at(0), model: 'a', costMicros: 100 }),
      usageEvent({ startedAt: at(1), model: 'a', costMicros: 100 }),
      usageEvent({ startedAt: at(1), model: 'b', costMicros: 50 }),
      usageEvent({ startedAt: at(1), model: 'c', costMicros: 10 }),
      usageEvent({ startedAt: at(5), model: 'a', costMicros: 100 }),
    ];
    const result = bucketize(events, [hour(0), hour(1), hour(2)], (e) => e.model ?? '', 2);
    expect(result.starts).toEqual([hour(0), hour(1)]);
    expect(result.series.map((s) => s.name)).toEqual(['a', 'b', OTHER]);
    expect(result.series[0]!.requests).toEqual([1, 1]);
    expect(result.series[0]!.spendMicros).toEqual([100n, 100n]);
    expect(result.series[2]!.requests).toEqual([0, 1]);
  });

  it('ranks keys by spend', () => {
    const events = [
      usageEvent({ keyId: 'cheap', costMicros: 1 }),
      usageEvent({ keyId: 'dear', costMicros: 500 }),
      usageEvent({ keyId: 'cheap', costMicros: 1, decision: 'DENIED' }),
    ];
    const ranked = topKeys(events);
    expect(ranked.map((k) => k.keyId)).toEqual(['dear', 'cheap']);
    expect(ranked[1]).toMatchObject({ requests: 2, spendMicros: 2n, blocked: 1 });
  });
});
