import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface LatencyStats {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

interface LimitsBenchModule {
  runLimitsBench(options: { iterations: number; log?: (line: string) => void }): Promise<{ memory: LatencyStats; redis: LatencyStats }>;
}

// The benchmark lives in the test package; importing it through a computed path keeps it out
// of this package's compilation (whose rootDir is `src`).
const benchPath = fileURLToPath(new URL('../../../test/bench/limits.ts', import.meta.url));

describe('limits benchmark', () => {
  it('measures both backends and prints finite latencies', async () => {
    const { runLimitsBench } = (await import(benchPath)) as LimitsBenchModule;
    const lines: string[] = [];
    const result = await runLimitsBench({ iterations: 20, log: (line) => lines.push(line) });
    for (const stats of [result.memory, result.redis]) {
      for (const value of [stats.p50Us, stats.p99Us, stats.meanUs]) {
        expect(Number.isFinite(value) && value > 0).toBe(true);
      }
    }
    expect(lines.some((line) => line.startsWith('MemoryLimiter'))).toBe(true);
    expect(lines.some((line) => line.startsWith('RedisLimiter'))).toBe(true);
  });
});
