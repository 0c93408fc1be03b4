import { describe, expect, it } from 'vitest';
import { addSums, figuresOf, type PerformanceSums } from './performance.js';
import { histogramOf } from './histogram.js';
import { performanceRollupRows, type TimedEvent } from './rollup-rows.js';

const ORG = '00000000-0000-4000-8000-000000000001';
const event = (overrides: Partial<TimedEvent>): TimedEvent => ({
  orgId: ORG,
  provider: 'openai',
  status: 200,
  decision: 'allowed',
  startedAt: new Date('2026-12-01T10:15:00Z'),
  latencyMs: 100,
  ttftMs: null,
  inputTokens: 10,
  outputTokens: 5,
  ...overrides,
});

describe('performance rollup rows', () => {
  it('groups events by organization, hour and provider, counting errors by status class and requests by decision', () => {
    const rows = performanceRollupRows([
      event({ latencyMs: 120, ttftMs: 40 }),
      event({ status: 503, decision: 'error', latencyMs: 2_000, startedAt: new Date('2026-12-01T10:59:59.999Z') }),
      event({ provider: null, status: 403, decision: 'blocked', latencyMs: 2, inputTokens: 0, outputTokens: 0 }),
      event({ startedAt: new Date('2026-12-01T11:00:00Z'), provider: 'anthropic', latencyMs: 300, ttftMs: 90 }),
    ]);
    expect(rows.map((r) => [r.start, r.provider, r.requests, r.client_errors, r.server_errors, r.input_tokens, r.output_tokens])).toEqual([
      ['2026-12-01T10:00:00.000Z', '', 1, 1, 0, 0, 0],
      ['2026-12-01T10:00:00.000Z', 'openai', 2, 0, 1, 20, 10],
      ['2026-12-01T11:00:00.000Z', 'anthropic', 1, 0, 0, 10, 5],
    ]);
    // DECISIONS order: allowed, redacted, blocked, held, approved, rejected, rate_limited, budget_exceeded, denied, error.
    expect(rows[0]!.decision_counts).toEqual([0, 0, 1]);
    expect(rows[1]!.decision_counts).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // A blocked request's time stays out of the latency histogram.
    expect(rows[0]!.latency_histogram).toEqual([]);
    expect(rows[1]!.latency_histogram).toEqual(histogramOf([120, 2_000]));
    expect(rows[1]!.ttft_histogram).toEqual(histogramOf([40]));
  });

  it('gives rates, tokens per minute and percentiles of merged hours', () => {
    const hour = (latencies: number[], errors: number): PerformanceSums => ({
      requests: latencies.length,
      clientErrors: 0,
      serverErrors: errors,
      inputTokens: 600,
      outputTokens: 600,
      decisionCounts: [latencies.length - errors, 0, 0, 0, 0, 0, 0, 0, 0, errors],
      latency: histogramOf(latencies),
      ttft: [],
    });
    const day = addSums(hour([100, 100, 100], 0), hour([100, 1_000], 1));
    const figures = figuresOf(day, 120);
    expect(figures.requests).toBe(5);
    expect(figures.serverErrorRate).toBeCloseTo(0.2);
    expect(figures.clientErrorRate).toBe(0);
    expect(figures.tokensPerMinute).toBe(20);
    expect(Math.abs(figures.latencyP50! - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(figures.latencyP99! - 1_000)).toBeLessThanOrEqual(50);
    expect(figures.ttftP50).toBeNull();
    expect(figures.decisions).toEqual([
      { decision: 'allowed', requests: 4 },
      { decision: 'error', requests: 1 },
    ]);
  });
});
