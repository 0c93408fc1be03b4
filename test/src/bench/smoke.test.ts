import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * `npm run bench` in its quick profile, end to end: the compiled benchmark starts every server
 * (mock, bare proxy, control plane, a Keyward node and one exporting traces to an OTLP sink,
 * Portkey), runs each scenario once and writes its report. Only the shape of the report is
 * checked, never a timing: this machine is shared and figures here mean nothing.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const runner = join(root, 'test', 'dist', 'bench', 'run.js');
const TARGETS = ['mock', 'bare', 'keyward', 'keyward-otel', 'portkey'] as const;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBench(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 170_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every number anywhere in `value`, with its path. */
function numbersIn(value: unknown, path = '$'): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  return [];
}

describe('the benchmark (quick profile)', () => {
  let outDir: string;
  let run: Run;
  let results: Record<string, any>;
  let markdown: string;

  beforeAll(async () => {
    if (!existsSync(runner)) throw new Error(`${runner} is missing: build first (npm run build, or npm test which builds).`);
    outDir = await mkdtemp(join(tmpdir(), 'keyward-bench-smoke-'));
    // Every row but the two-worker one, which starts a node of its own and would add to the suite's time.
    run = await runBench([
      '--quick',
      '--no-pin',
      '--targets',
      'mock,bare,keyward,keyward-otel,keyward-routed,portkey',
      '--out',
      outDir,
      '--pg-admin-url',
      inject('pgAdminUrl'),
    ]);
    const files = await readdir(outDir);
    const json = files.find((f) => f.endsWith('.json'));
    const md = files.find((f) => f.endsWith('.md'));
    if (json) results = JSON.parse(await readFile(join(outDir, json), 'utf8'));
    if (md) markdown = await readFile(join(outDir, md), 'utf8');
  }, 180_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('completes and prints the table with the paths of its results', () => {
    expect(run.stderr).not.toContain('benchmark failed');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('| # | target |');
    expect(run.stdout).toMatch(/results: .*bench-.*\.json/);
  });

  it('writes JSON that records the date, the machine and the command', () => {
    expect(results.version).toBe(1);
    expect(Number.isNaN(Date.parse(results.startedAt))).toBe(false);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.memoryBytes).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.command).toContain('npm run bench');
    expect(results.profile.name).toBe('quick');
  });

  it('measures every row with finite figures', () => {
    for (const [path, value] of numbersIn(results)) {
      if (!Number.isFinite(value)) throw new Error(`${path} is ${value}`);
    }
    for (const id of TARGETS) {
      const row = results.rows[id];
      expect(row, id).toBeDefined();
      for (const figure of [
        row.p50Ms.median,
        row.p99Ms.median,
        row.addedP50Ms.median,
        row.peakRps.median,
        row.addedTtftMs.median,
        row.addedGapP99Ms.median,
        row.cpuSecondsPer1k.median,
      ]) {
        expect(typeof figure, id).toBe('number');
      }
      expect(row.maxStreams, id).toBeGreaterThanOrEqual(0);
      expect(results.capacity[id].steps.length, id).toBeGreaterThan(0);
      expect(results.ratios[id], id).toBeDefined();
    }
    expect(results.ceilings.fastMock.rps).toBeGreaterThan(0);
    expect(results.ceilings.nodeMock.rps).toBeGreaterThan(0);
    expect(results.policyEval.p99us).toBeGreaterThan(0);
    expect(results.tracingCost.p99Us).toBeGreaterThan(0);
    expect(results.tracingCost.exports).toBeGreaterThan(0);
    expect(results.limits.memory.p99Us).toBeGreaterThan(0);
    expect(results.limits.redis.p99Us).toBeGreaterThan(0);
  });

  it('runs Keyward with a policy, a budget and a rate limit, and its events reach the control plane', () => {
    expect(results.keyward.policy.rules).toBe(10);
    expect(results.keyward.budget).not.toBeNull();
    expect(results.keyward.rateLimit).not.toBeNull();
    const stored = Object.values(results.keyward.eventsByDecision as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(stored).toBeGreaterThan(0);
  });

  it('runs the Keyward row again with traces exported over OTLP, and the sink receives them', () => {
    expect(results.keyward.otlpSink.spans).toBeGreaterThan(0);
    expect(markdown).toContain('| Keyward data plane, traces exported over OTLP |');
  });

  it('writes a Markdown report with one row per target and no secret in any server log', () => {
    expect(markdown).toContain('| # | target |');
    expect(markdown).toContain('Ratios');
    for (const label of ['mock provider (floor)', 'bare uWS + undici pass-through', 'Keyward data plane', 'Portkey gateway']) {
      expect(markdown).toContain(`| ${label} |`);
    }
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
    expect(results.secretsInLogs).toEqual([]);
  });
});

describe('the benchmark with --cpu-prof', () => {
  it('writes a CPU profile of the data plane and one of the control plane, each in its own folder', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'keyward-bench-prof-'));
    try {
      const run = await runBench([
        '--quick',
        '--no-pin',
        '--targets',
        'keyward',
        '--scenarios',
        'throughput',
        '--cpu-prof',
        '--out',
        outDir,
        '--pg-admin-url',
        inject('pgAdminUrl'),
      ]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      for (const plane of ['data-plane', 'control-plane']) {
        const profiles = (await readdir(join(outDir, 'profiles', plane))).filter((f) => f.endsWith('.cpuprofile'));
        expect(profiles, plane).toHaveLength(1);
        const profile = JSON.parse(await readFile(join(outDir, 'profiles', plane, profiles[0]), 'utf8')) as { nodes: unknown[]; samples: unknown[] };
        expect(profile.nodes.length, plane).toBeGreaterThan(0);
        expect(profile.samples.length, plane).toBeGreaterThan(0);
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 180_000);
});
