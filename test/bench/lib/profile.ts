/**
 * How much the benchmark does: the full profile behind `npm run bench` (minutes) and the quick
 * one the smoke test runs (seconds). Every loop's count and duration comes from here.
 */

/** Sizes and durations of one benchmark run. */
export interface BenchProfile {
  readonly name: 'full' | 'quick';
  /** Rounds of the interleaved scenarios; targets run in a fresh random order in each. */
  readonly rounds: number;
  /** Concurrency-1 latency: measured requests (after `warmup`), capped by `maxMs`. */
  readonly latency: { readonly requests: number; readonly warmup: number; readonly maxMs: number };
  /** Throughput ramp: concurrency steps, each `stepMs` long after `warmupMs`; stops once p99 ≥ `p99LimitMs`. */
  readonly throughput: {
    readonly steps: readonly number[];
    readonly stepMs: number;
    readonly warmupMs: number;
    readonly p99LimitMs: number;
    /** CPU per request is read at this concurrency, which every target runs. */
    readonly cpuConcurrency: number;
  };
  /** What the mock streams: a first chunk at once, then `chunks` chunks `intervalMs` apart. */
  readonly stream: { readonly chunks: number; readonly intervalMs: number };
  /** Streams opened together per round to time TTFT and chunk gaps. */
  readonly streamLatency: { readonly streams: number };
  /**
   * Concurrent-stream capacity: steps tried in order until one loses a chunk or stalls. Its
   * streams have their own shape (`stream`): long enough that a step's streams overlap while
   * the gateway is still opening the last of them, sparse enough that the mock can write every
   * chunk of 5,000 streams on its one core.
   */
  readonly capacity: {
    readonly steps: readonly number[];
    readonly spreadMs: number;
    readonly settleMs: number;
    readonly stream: { readonly chunks: number; readonly intervalMs: number };
  };
  /** The mock's own ceiling: concurrency levels tried, each for `durationMs`. */
  readonly ceiling: { readonly concurrency: readonly number[]; readonly durationMs: number };
  readonly policyEvalIterations: number;
  readonly limitsIterations: number;
  /** Requests driven through the tracer alone (`tracing-cost.ts`). */
  readonly tracingRequests: number;
}

/** `npm run bench`: five rounds, capacity up to 5,000 streams; several minutes. */
export const FULL_PROFILE: BenchProfile = {
  name: 'full',
  rounds: 5,
  latency: { requests: 1_500, warmup: 200, maxMs: 4_000 },
  throughput: { steps: [1, 2, 4, 8, 16, 32, 64, 128], stepMs: 1_500, warmupMs: 300, p99LimitMs: 5, cpuConcurrency: 8 },
  stream: { chunks: 64, intervalMs: 20 },
  streamLatency: { streams: 16 },
  capacity: { steps: [250, 500, 1_000, 2_000, 5_000], spreadMs: 250, settleMs: 1_500, stream: { chunks: 30, intervalMs: 500 } },
  ceiling: { concurrency: [16, 32, 64, 128], durationMs: 1_500 },
  policyEvalIterations: 100_000,
  limitsIterations: 5_000,
  tracingRequests: 20_000,
};

/** The smoke test's run: every scenario once, tiny. */
export const QUICK_PROFILE: BenchProfile = {
  name: 'quick',
  rounds: 1,
  latency: { requests: 40, warmup: 10, maxMs: 1_000 },
  throughput: { steps: [1, 2, 4], stepMs: 200, warmupMs: 50, p99LimitMs: 5, cpuConcurrency: 2 },
  stream: { chunks: 4, intervalMs: 5 },
  streamLatency: { streams: 3 },
  capacity: { steps: [8], spreadMs: 10, settleMs: 100, stream: { chunks: 4, intervalMs: 50 } },
  ceiling: { concurrency: [4], durationMs: 200 },
  policyEvalIterations: 2_000,
  limitsIterations: 50,
  tracingRequests: 500,
};
