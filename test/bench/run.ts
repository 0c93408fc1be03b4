/**
 * `npm run bench`: Keyward's data plane side by side with the mock provider (the floor), a bare
 * uWebSockets.js + undici pass-through and Portkey's gateway, in one session, interleaved over
 * several rounds. Writes `bench-results/bench-<time>.json` and `.md` and prints the table.
 *
 *   node test/dist/bench/run.js [--quick] [--rounds N] [--no-pin] [--out DIR]
 *                               [--targets bare,keyward,portkey] [--scenarios latency,throughput,streams,capacity,micro]
 *                               [--cpu-prof]   (profile the Keyward data plane and the control plane; profiles land in
 *                                               DIR/profiles/data-plane and DIR/profiles/control-plane)
 *                               [--dp-node-flags "--max-semi-space-size=2"]   (Node flags for every Keyward data-plane row)
 *                               [--pg-admin-url URL]   (an existing PostgreSQL instead of the embedded one)
 *   node test/dist/bench/run.js --soak 10m   (hold 70% of Keyward's peak load, streams mixed in, sampling memory every 10 s)
 *   node test/dist/bench/run.js --render bench-results/bench-….json   (print a saved run's report again)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderMarkdown } from './lib/markdown.js';
import { ALL_SCENARIOS, runBenchmark, type BenchResults, type Scenario } from './lib/orchestrate.js';
import { FULL_PROFILE, QUICK_PROFILE } from './lib/profile.js';
import { ratios, summarizeRows } from './lib/report.js';
import { DEFAULT_SOAK } from './lib/soak.js';
import { layout, TARGET_IDS, type TargetId } from './lib/targets.js';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function list<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) fail(`${flag} takes a comma-separated list of ${allowed.join(', ')}; "${item}" is not one.`);
  return items as T[];
}

/** JSON keeps unmeasured figures as null; the report expects NaN for them. */
function revive<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (v === null ? Number.NaN : v)) as T;
}

/** `90s`, `10m`, `1h` (or a number of seconds) in milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'] : Number.NaN;
  if (!(seconds >= 30 && seconds <= 24 * 3600)) fail('--soak takes a duration from 30s to 24h, such as 90s, 10m or 1h.');
  return seconds * 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'dp-node-flags': { type: 'string' },
      'pg-admin-url': { type: 'string' },
      render: { type: 'string' },
      soak: { type: 'string' },
    },
  });
  if (values.render !== undefined) {
    const saved = revive(JSON.parse(await readFile(values.render, 'utf8')) as BenchResults);
    // Rows and ratios are derived figures: recompute them, so reports of older runs get newer columns.
    const rows = summarizeRows(saved.rounds, saved.capacity, saved.ceilings.fastMock?.rps ?? 0);
    console.log(renderMarkdown({ ...saved, rows, ratios: ratios(rows) }));
    return;
  }
  const base = values.quick ? QUICK_PROFILE : FULL_PROFILE;
  let rounds = base.rounds;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) fail('--rounds must be a whole number from 1 to 50.');
  }
  const root = layout('').root;
  const outDir = values.out ?? join(root, 'bench-results');
  const soakMs = values.soak === undefined ? null : parseDuration(values.soak);
  // A soak runs Keyward alone and no scenario unless asked for.
  const scenarios = list<Scenario>(values.scenarios, ALL_SCENARIOS, '--scenarios') ?? (soakMs === null ? undefined : []);
  const targets = list<TargetId>(values.targets, TARGET_IDS, '--targets') ?? (soakMs === null ? undefined : ['keyward' as TargetId]);
  const run = await runBenchmark({
    profile: { ...base, rounds },
    outDir,
    pin: !values['no-pin'],
    pgAdminUrl: values['pg-admin-url'] ?? null,
    targets,
    scenarios,
    soak: soakMs === null ? null : { ...DEFAULT_SOAK, durationMs: soakMs },
    keywardNodeFlags: [
      ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'profiles', 'data-plane')}`] : []),
      ...(values['dp-node-flags']?.split(/\s+/).filter(Boolean) ?? []),
    ],
    controlPlaneNodeFlags: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'profiles', 'control-plane')}`] : [],
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  });
  console.log('');
  console.log(run.markdown);
  console.log(`results: ${run.jsonPath}`);
  console.log(`         ${run.markdownPath}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
