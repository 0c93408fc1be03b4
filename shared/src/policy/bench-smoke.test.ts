import { describe, expect, it } from 'vitest';

/** The shape of test/bench/policy-eval.ts, which lives outside this package's sources. */
interface BenchModule {
  runPolicyEvalBench(options: { iterations: number; warmup?: number }): {
    p50us: number;
    p99us: number;
    meanUs: number;
    promptBytes: number;
    rules: number;
    action: string;
    matchedRules: readonly string[];
  };
}

// A computed specifier keeps the bench out of this package's compilation (its rootDir is src).
const benchPath = '../../../test/bench/policy-eval.ts';

describe('policy evaluation benchmark', () => {
  it('runs a few iterations and reports finite latencies for the realistic policy', async () => {
    const { runPolicyEvalBench } = (await import(/* @vite-ignore */ benchPath)) as BenchModule;
    const result = runPolicyEvalBench({ iterations: 50, warmup: 10 });
    for (const value of [result.p50us, result.p99us, result.meanUs]) expect(Number.isFinite(value)).toBe(true);
    expect(result.rules).toBe(10);
    expect(result.promptBytes).toBeGreaterThanOrEqual(4000);
    expect(result.action).toBe('allow');
    expect(result.matchedRules).toEqual(['tag-agent', 'redact-contacts']);
  });
});
