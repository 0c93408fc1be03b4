/** Latency percentiles of a synchronous piece of work, in microseconds, for the benchmark tests. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `run` a tenth of `iterations` (at least 1,000) times to warm up, then `iterations` times measured. */
export function measureLatency(run: () => unknown, iterations: number): Latency {
  for (let i = 0; i < Math.max(1_000, iterations / 10); i++) run();
  const samples = new Float64Array(iterations);
  let total = 0;
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    run();
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
    total += samples[i]!;
  }
  samples.sort();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: total / iterations };
}

/** `p50 1.3 µs, p99 4.3 µs, mean 1.6 µs`. */
export function formatLatency(latency: Latency): string {
  return `p50 ${latency.p50.toFixed(1)} µs, p99 ${latency.p99.toFixed(1)} µs, mean ${latency.mean.toFixed(1)} µs`;
}
