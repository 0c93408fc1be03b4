/**
 * The benchmark's measurements against one target: concurrency-1 latency, the throughput ramp
 * (with CPU per request), streamed TTFT and chunk gaps, and the concurrent-stream capacity with
 * resident memory per open stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoop, openPool, openStreams, type Endpoint, type StreamOutcome } from './load.js';
import { cpuSeconds, cpuSecondsOf, rssBytes, RssSampler } from './proc.js';
import type { BenchProfile } from './profile.js';
import { summarize, type LatencySummary } from './stats.js';
import { openStreamsFromChildren, type GeneratorPlace } from './stream-generators.js';
import type { Target } from './targets.js';

/** Concurrency-1, non-streamed latency of one round. */
export interface LatencyResult {
  readonly latency: LatencySummary;
  readonly errors: number;
  readonly errorExamples: string[];
}

/** One step of the throughput ramp. */
interface ThroughputStep {
  readonly concurrency: number;
  readonly rps: number;
  readonly latency: LatencySummary;
  readonly errors: number;
  /** CPU seconds of the target process per 1,000 completed requests during the step. */
  readonly cpuPer1k: number;
  /** The same for helper processes (Keyward's control plane and PostgreSQL); 0 when there are none. */
  readonly helperCpuPer1k: number;
}

/** The ramp of one round. */
export interface ThroughputResult {
  readonly steps: ThroughputStep[];
  /** Highest requests/s of a step whose p99 stayed under the limit and had no error (0 if none). */
  readonly maxRpsUnderLimit: number;
  /** Highest requests/s of any error-free step, whatever its latency. */
  readonly peakRps: number;
  /** CPU per 1,000 requests at the profile's CPU concurrency. */
  readonly cpuPer1k: number;
  readonly helperCpuPer1k: number;
}

/** Streamed latency of one round (milliseconds). */
export interface StreamLatencyResult {
  readonly ttft: LatencySummary;
  readonly gap: LatencySummary;
  readonly failedStreams: number;
}

/** One step of the capacity ramp. */
interface CapacityStep {
  readonly streams: number;
  readonly peakOpen: number;
  readonly completed: number;
  /** Streams that ended with fewer content chunks than the mock sent, or an error. */
  readonly lost: number;
  /** Streams with a gap over ten times the chunk interval. */
  readonly stalled: number;
  readonly maxGapMs: number;
  /** The slowest first event (connecting under load included). */
  readonly maxTtftMs: number;
  /** Load-generator processes that opened the step's streams. */
  readonly generators: number;
  /** CPU seconds the target used during the step (its busy share over the step's ~1.3 s of streaming shows a CPU limit). */
  readonly targetCpuSeconds: number;
  /** CPU seconds the load generators used (if near the step's length, they may be what limited it). */
  readonly generatorCpuSeconds: number;
  readonly idleRssBytes: number;
  readonly peakRssBytes: number;
  /** (peak RSS − idle RSS) / peak open streams. */
  readonly rssPerStreamBytes: number;
  readonly passed: boolean;
  readonly errorExamples: string[];
}

/** The capacity ramp of a target. */
export interface CapacityResult {
  readonly steps: CapacityStep[];
  /** The largest step held (nine in ten streams open at once) without a lost chunk or a stall; 0 if none. */
  readonly maxStreams: number;
  /** RSS per stream at the largest step that passed (else the first step). */
  readonly rssPerStreamBytes: number;
}

/** Concurrency-1 latency: `warmup` unmeasured requests, then up to `requests` measured ones. */
export async function measureLatency(target: Target, body: string, profile: BenchProfile): Promise<LatencyResult> {
  const pool = openPool(target.endpoint, 1);
  try {
    await closedLoop(pool, target.endpoint, body, { concurrency: 1, durationMs: profile.latency.maxMs, warmupMs: 0, maxRequests: profile.latency.warmup });
    const batch = await closedLoop(pool, target.endpoint, body, {
      concurrency: 1,
      durationMs: profile.latency.maxMs,
      warmupMs: 0,
      maxRequests: profile.latency.requests,
    });
    return { latency: summarize(batch.samples), errors: batch.errors, errorExamples: batch.errorExamples };
  } finally {
    await pool.close();
  }
}

/** Steps concurrency up until p99 passes the limit (after the CPU step) or requests fail. */
export async function measureThroughput(target: Target, body: string, profile: BenchProfile): Promise<ThroughputResult> {
  const { steps: levels, stepMs, warmupMs, p99LimitMs, cpuConcurrency } = profile.throughput;
  const steps: ThroughputStep[] = [];
  for (const concurrency of levels) {
    const pool = openPool(target.endpoint, concurrency);
    try {
      // Open every connection before the measured part, so connecting is not counted.
      await closedLoop(pool, target.endpoint, body, { concurrency, durationMs: warmupMs, warmupMs: 0, maxRequests: concurrency * 4 });
      const cpuBefore = cpuSeconds(target.pid);
      const helpers = target.helperPids();
      const helperBefore = cpuSecondsOf(helpers);
      const batch = await closedLoop(pool, target.endpoint, body, { concurrency, durationMs: stepMs, warmupMs, maxRequests: 1_000_000 });
      const cpu = cpuSeconds(target.pid) - cpuBefore;
      const helperCpu = cpuSecondsOf(helpers) - helperBefore;
      const latency = summarize(batch.samples);
      const per1k = (seconds: number) => (batch.completed > 0 ? (seconds / batch.completed) * 1000 : Number.NaN);
      steps.push({
        concurrency,
        rps: batch.completed / batch.elapsedSeconds,
        latency,
        errors: batch.errors,
        cpuPer1k: per1k(cpu),
        helperCpuPer1k: per1k(helperCpu),
      });
      if (batch.errors > 0) break;
      if (latency.p99 >= p99LimitMs && concurrency >= cpuConcurrency) break;
    } finally {
      await pool.close();
    }
  }
  const clean = steps.filter((s) => s.errors === 0);
  const cpuStep = steps.find((s) => s.concurrency === cpuConcurrency);
  return {
    steps,
    maxRpsUnderLimit: Math.max(0, ...clean.filter((s) => s.latency.p99 < p99LimitMs).map((s) => s.rps)),
    peakRps: Math.max(0, ...clean.map((s) => s.rps)),
    cpuPer1k: cpuStep?.cpuPer1k ?? Number.NaN,
    helperCpuPer1k: cpuStep?.helperCpuPer1k ?? Number.NaN,
  };
}

/** Opens a few streams together and times the first event and every chunk gap. */
export async function measureStreamLatency(target: Target, body: string, profile: BenchProfile): Promise<StreamLatencyResult> {
  const streams = profile.streamLatency.streams;
  const timeoutMs = streamTimeout(profile.stream);
  // One unmeasured stream first: it opens the upstream connection the measured ones reuse.
  await openStreams(target.endpoint, body, { count: 1, spreadMs: 0, timeoutMs });
  const batch = await openStreams(target.endpoint, body, { count: streams, spreadMs: 0, timeoutMs });
  const good = batch.streams.filter((s) => s.error === null && s.contentEvents === profile.stream.chunks);
  return {
    ttft: summarize(good.map((s) => s.ttftMs)),
    gap: summarize(good.flatMap((s) => s.gapsMs)),
    failedStreams: streams - good.length,
  };
}

function streamTimeout(shape: BenchProfile['stream']): number {
  return shape.chunks * shape.intervalMs + 30_000;
}

function judge(
  streams: readonly StreamOutcome[],
  shape: BenchProfile['stream'],
): { completed: number; lost: number; stalled: number; maxGapMs: number; maxTtftMs: number; errors: string[] } {
  const stallMs = shape.intervalMs * 10;
  let lost = 0;
  let stalled = 0;
  let maxGapMs = 0;
  let completed = 0;
  let maxTtftMs = 0;
  const errors: string[] = [];
  for (const s of streams) {
    const gap = s.maxGapMs;
    if (gap > maxGapMs) maxGapMs = gap;
    if (s.error !== null || s.contentEvents !== shape.chunks || !s.sawDone) {
      lost++;
      if (errors.length < 3) errors.push(s.error ?? `${s.contentEvents}/${shape.chunks} chunks${s.sawDone ? '' : ', no [DONE]'}`);
    } else {
      completed++;
    }
    // A slow first event is reported as TTFT (it includes connecting under load), not as a stall.
    if (gap > stallMs) stalled++;
    if (Number.isFinite(s.ttftMs) && s.ttftMs > maxTtftMs) maxTtftMs = s.ttftMs;
  }
  return { completed, lost, stalled, maxGapMs, maxTtftMs, errors };
}

/**
 * Steps the number of simultaneous streams up until one step loses a chunk, stalls or cannot
 * keep nine in ten of its streams open at once, sampling the target's RSS to price each open
 * stream. The streams are opened by load-generator children placed by `generators`; `body`
 * asks for the profile's capacity stream shape (`chatBody(true, profile.capacity.stream)`).
 */
export async function measureCapacity(target: Target, body: string, profile: BenchProfile, generators: GeneratorPlace): Promise<CapacityResult> {
  const steps: CapacityStep[] = [];
  for (const streams of profile.capacity.steps) {
    await sleep(profile.capacity.settleMs);
    const idleRssBytes = rssBytes(target.pid);
    const sampler = new RssSampler(target.pid);
    const cpuBefore = cpuSeconds(target.pid);
    const batch = await openStreamsFromChildren(generators, target.endpoint, body, {
      count: streams,
      spreadMs: profile.capacity.spreadMs,
      timeoutMs: streamTimeout(profile.capacity.stream),
    });
    const peakRssBytes = sampler.stop();
    const targetCpuSeconds = cpuSeconds(target.pid) - cpuBefore;
    const verdict = judge(batch.streams, profile.capacity.stream);
    // Streams answered one after another are not held at once: nine in ten must overlap.
    const passed = verdict.lost === 0 && verdict.stalled === 0 && batch.peakOpen >= 0.9 * streams;
    steps.push({
      streams,
      peakOpen: batch.peakOpen,
      completed: verdict.completed,
      lost: verdict.lost,
      stalled: verdict.stalled,
      maxGapMs: verdict.maxGapMs,
      maxTtftMs: verdict.maxTtftMs,
      generators: batch.generators,
      targetCpuSeconds,
      generatorCpuSeconds: batch.generatorCpuSeconds,
      idleRssBytes,
      peakRssBytes,
      rssPerStreamBytes: batch.peakOpen > 0 ? Math.max(0, peakRssBytes - idleRssBytes) / batch.peakOpen : Number.NaN,
      passed,
      errorExamples: verdict.errors,
    });
    if (!passed) break;
  }
  const passedSteps = steps.filter((s) => s.passed);
  const reference = passedSteps.at(-1) ?? steps[0];
  return { steps, maxStreams: passedSteps.at(-1)?.streams ?? 0, rssPerStreamBytes: reference?.rssPerStreamBytes ?? Number.NaN };
}

/** The mock's own ceiling: the most requests/s it answers at any of the profile's concurrencies. */
export async function measureCeiling(endpoint: Endpoint, body: string, profile: BenchProfile): Promise<{ rps: number; concurrency: number }> {
  let best = { rps: 0, concurrency: 0 };
  for (const concurrency of profile.ceiling.concurrency) {
    const pool = openPool(endpoint, concurrency);
    try {
      const batch = await closedLoop(pool, endpoint, body, { concurrency, durationMs: profile.ceiling.durationMs, warmupMs: 200, maxRequests: 5_000_000 });
      const rps = batch.errors === 0 ? batch.completed / batch.elapsedSeconds : 0;
      if (rps > best.rps) best = { rps, concurrency };
    } finally {
      await pool.close();
    }
  }
  return best;
}
