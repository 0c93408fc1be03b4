import type { BreakerSettings, CredentialConfig } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import type { RouteTarget } from './route-table.js';
import { orderTargets, type OrderingInput } from '@keyward/shared';
import { TargetHealthBoard } from './target-health.js';

const BREAKER: BreakerSettings = { consecutiveFailures: 3, errorRatePercent: 50, windowSeconds: 60, minRequests: 4, openSeconds: 10 };
const credential = { id: 'c', provider: 'openai' } as CredentialConfig;
const target = (model: string, weight = 1): RouteTarget => ({
  id: `c/${model}`,
  credential,
  model,
  weight,
  timeoutMs: 1000,
  maxRetries: 0,
  contextTokens: null,
  breaker: BREAKER,
});
const [a, b, c] = [target('a', 1), target('b', 3), target('c', 6)];
const models = (list: readonly RouteTarget[]) => list.map((t) => t.model).join('');

/** A repeatable random sequence. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function input(over: Partial<OrderingInput<RouteTarget>>): OrderingInput<RouteTarget> {
  return { strategy: 'fallback', board: new TargetHealthBoard(), costOf: () => 0, maxLatencyMs: null, now: 1_000_000, random: seeded(7), ...over };
}

describe('route strategies', () => {
  it('keep the route’s order for fallback', () => {
    expect(models(orderTargets([a, b, c], input({})))).toBe('abc');
  });

  it('draw by weight for weighted, every target still listed as a fallback', () => {
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const options = input({ strategy: 'weighted', random: seeded(42) });
    for (let i = 0; i < 10_000; i++) {
      const order = orderTargets([a, b, c], options);
      expect([...models(order)].sort().join('')).toBe('abc');
      firsts[order[0].model] += 1;
    }
    expect(firsts.a / 10_000).toBeCloseTo(0.1, 1);
    expect(firsts.b / 10_000).toBeCloseTo(0.3, 1);
    expect(firsts.c / 10_000).toBeCloseTo(0.6, 1);
  });

  it('prefer the target with the fewest requests in flight for least_outstanding', () => {
    const board = new TargetHealthBoard();
    board.get(a.id).outstanding = 4;
    board.get(b.id).outstanding = 1;
    board.get(c.id).outstanding = 2;
    expect(models(orderTargets([a, b, c], input({ strategy: 'least_outstanding', board })))).toBe('bca');
  });

  it('prefer the lowest observed p50 for lowest_latency, trying an unmeasured target first and exploring a tenth of the time', () => {
    const board = new TargetHealthBoard();
    const now = 1_000_000;
    for (const ms of [300, 320, 900]) board.get(a.id).observeLatency(ms, now);
    for (const ms of [100, 120, 80]) board.get(b.id).observeLatency(ms, now);
    expect(models(orderTargets([a, b, c], input({ strategy: 'lowest_latency', board, now, random: () => 0.5 })))).toBe('cba');
    for (const ms of [500]) board.get(c.id).observeLatency(ms, now);
    expect(models(orderTargets([a, b, c], input({ strategy: 'lowest_latency', board, now, random: () => 0.5 })))).toBe('bac');
    const firsts = new Set<string>();
    const random = seeded(3);
    for (let i = 0; i < 500; i++) firsts.add(orderTargets([a, b, c], input({ strategy: 'lowest_latency', board, now, random }))[0].model);
    expect([...firsts].sort()).toEqual(['a', 'b', 'c']);
    // Latencies older than the window no longer count.
    expect(board.get(b.id).latencyPercentile(0.5, now + 10 * 60_000)).toBeNull();
  });

  it('pick the cheapest target within the latency limit for lowest_cost, the others after it', () => {
    const board = new TargetHealthBoard();
    const now = 1_000_000;
    board.get(a.id).observeLatency(5_000, now);
    const costs: Record<string, number> = { a: 10, b: 300, c: 200 };
    const order = orderTargets([a, b, c], input({ strategy: 'lowest_cost', board, now, maxLatencyMs: 1_000, costOf: (t) => costs[t.model] }));
    expect(models(order)).toBe('cba');
  });
});

describe('circuit breakers', () => {
  it('open after consecutive failures, let one probe through once the open time passed, and close on its success', () => {
    const board = new TargetHealthBoard();
    const opened: string[] = [];
    board.listen({ onOpen: (id) => opened.push(`open ${id}`), onClose: (id) => opened.push(`close ${id}`) });
    const t = board.get(a.id);
    board.failure(a.id, BREAKER, 0);
    board.failure(a.id, BREAKER, 1);
    expect(t.admit(2)).toBe('closed');
    board.failure(a.id, BREAKER, 2);
    expect(t.admit(3)).toBe('open');
    expect(t.admit(10_002)).toBe('probe');
    expect(t.admit(10_003)).toBe('open');
    // A probe that never reported back is replaced after a minute.
    expect(t.admit(70_003)).toBe('probe');
    board.success(a.id, 70_050);
    expect(t.admit(70_060)).toBe('closed');
    expect(opened).toEqual([`open ${a.id}`, `close ${a.id}`]);
  });

  it('open on an error rate over the window once enough requests were seen, and reopen on a failed probe', () => {
    const board = new TargetHealthBoard();
    const t = board.get(b.id);
    board.failure(b.id, BREAKER, 0);
    board.success(b.id, 1);
    board.failure(b.id, BREAKER, 2);
    expect(t.state).toBe('closed');
    board.success(b.id, 3);
    board.failure(b.id, BREAKER, 4);
    expect(t.state).toBe('open');
    expect(t.admit(10_004)).toBe('probe');
    board.failure(b.id, BREAKER, 10_005);
    expect(t.state).toBe('open');
    expect(t.openUntil).toBe(20_005);
  });
});
