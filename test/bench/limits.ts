/**
 * Reserve-plus-settle cost per request for the two limiter backends.
 *
 * Each iteration admits a request charged to an org, a team and a key budget and to two rate
 * limits (requests, tokens and concurrency), then settles it: the work the data plane adds to
 * every call. Requests run one after another, so the Redis figure is one round trip per
 * operation on loopback plus the Lua script, not throughput under load.
 */
import { MemoryLimiter, RedisLimiter, type AdmissionRequest, type Limiter } from '@keyward/data-plane';
import { startRedisServer } from '@keyward/data-plane/testing';

/** Latency figures in microseconds. */
export interface LatencyStats {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

/** Both backends' figures. */
export interface LimitsBenchResult {
  readonly iterations: number;
  readonly memory: LatencyStats;
  readonly redis: LatencyStats;
}

/** Options of `runLimitsBench`. */
export interface LimitsBenchOptions {
  /** Measured requests per backend (a tenth as many again warm up first). */
  readonly iterations: number;
  /** Where the table goes; defaults to stdout. */
  readonly log?: (line: string) => void;
}

const ORG = 'org_bench';
const HUGE = 1_000_000_000_000;

function requestAt(now: number): AdmissionRequest {
  const scopes = { org: { kind: 'org', id: ORG }, team: { kind: 'team', id: 'team_bench' }, key: { kind: 'key', id: 'key_bench' } } as const;
  return {
    orgId: ORG,
    teamId: 'team_bench',
    keyId: 'key_bench',
    now,
    timeZone: 'America/New_York',
    reserveMicros: 25_000,
    reserveTokens: 4_000,
    budgets: (['org', 'team', 'key'] as const).map((kind) => ({
      id: `budget_${kind}`,
      orgId: ORG,
      scope: scopes[kind],
      period: kind === 'key' ? 'day' : 'month',
      limitMicros: HUGE,
      action: 'block',
      alertThresholds: [50, 80, 100],
    })),
    rateLimits: [
      { id: 'rl_org', orgId: ORG, scope: scopes.org, requestsPerMinute: 10_000_000, tokensPerMinute: 100_000_000 },
      { id: 'rl_key', orgId: ORG, scope: scopes.key, requestsPerMinute: 10_000_000, concurrentRequests: 1_000 },
    ],
  };
}

async function measure(limiter: Limiter, iterations: number): Promise<LatencyStats> {
  const samples: number[] = [];
  const warmup = Math.max(1, Math.floor(iterations / 10));
  for (let i = 0; i < warmup + iterations; i++) {
    const started = process.hrtime.bigint();
    const admission = await limiter.admit(requestAt(Date.now()));
    if (!admission.ok) throw new Error(`The benchmark request was refused: ${admission.message}`);
    await limiter.settle(admission.ticket, { costMicros: 12_345, tokens: 1_500 });
    const elapsedUs = Number(process.hrtime.bigint() - started) / 1_000;
    if (i >= warmup) samples.push(elapsedUs);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50Us: at(0.5), p99Us: at(0.99), meanUs: samples.reduce((s, x) => s + x, 0) / samples.length };
}

/**
 * Measures both backends (starting and stopping its own `redis-server`) and prints a table of
 * reserve+settle latency per request.
 */
export async function runLimitsBench(options: LimitsBenchOptions): Promise<LimitsBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const memoryLimiter = new MemoryLimiter();
  const memory = await measure(memoryLimiter, options.iterations);
  await memoryLimiter.close();

  const server = await startRedisServer();
  let redis: LatencyStats;
  try {
    const redisLimiter = new RedisLimiter({ redis: server.url, keyPrefix: 'bench:' });
    await new Promise((resolve) => redisLimiter.redis.once('ready', resolve));
    try {
      redis = await measure(redisLimiter, options.iterations);
    } finally {
      await redisLimiter.close();
    }
  } finally {
    await server.stop();
  }

  const row = (name: string, s: LatencyStats) =>
    `${name.padEnd(14)}${s.p50Us.toFixed(1).padStart(10)}${s.p99Us.toFixed(1).padStart(10)}${s.meanUs.toFixed(1).padStart(10)}`;
  log(`reserve+settle per request, ${options.iterations} requests, microseconds`);
  log(`${'backend'.padEnd(14)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'mean'.padStart(10)}`);
  log(row('MemoryLimiter', memory));
  log(row('RedisLimiter', redis));
  return { iterations: options.iterations, memory, redis };
}
