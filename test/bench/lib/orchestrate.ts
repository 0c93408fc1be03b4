/**
 * One benchmark run: the micro-benchmarks first (quiet machine), then the servers as child
 * processes, the mock's own ceiling, the interleaved rounds, the stream-capacity ramp, a check
 * that Keyward's events reached the control plane, and the report. Every child is stopped in
 * the end, whatever happened.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runLimitsBench, type LimitsBenchResult } from '../limits.js';
import { runPolicyEvalBench, type PolicyEvalBenchResult } from '../policy-eval.js';
import { runTracingCostBench, type TracingCostResult } from '../tracing-cost.js';
import { canPin, pinSelf, stopAllChildren, type Child } from './children.js';
import { loadAverage, machineInfo, secretsInLogs, type MachineInfo } from './machine.js';
import { openStreams, closedLoop, openPool } from './load.js';
import { cpuSeconds, processTree, rssBytes } from './proc.js';
import type { BenchProfile } from './profile.js';
import { renderMarkdown } from './markdown.js';
import { ratios, summarizeRows, type Round, type RowSummary } from './report.js';
import { measureCapacity, measureCeiling, measureLatency, measureStreamLatency, measureThroughput, type CapacityResult } from './scenarios.js';
import { renderSoak, runSoak, type SoakOptions, type SoakResult } from './soak.js';
import { shuffled } from './stats.js';
import {
  layout,
  mockTarget,
  planeSecrets,
  startBare,
  startBenchControlPlane,
  startFastMock,
  startKeyward,
  routedKeywardTarget,
  startNodeMock,
  startOtlpSink,
  startPortkey,
  TARGET_IDS,
  TARGET_LABELS,
  type ControlPlaneHello,
  type Target,
  type TargetId,
} from './targets.js';
import { chatBody } from './workload.js';

/** The scenarios a run may be limited to. */
export type Scenario = 'latency' | 'throughput' | 'streams' | 'capacity' | 'micro';
/** Every scenario, in the order a run performs them. */
export const ALL_SCENARIOS: readonly Scenario[] = ['micro', 'latency', 'throughput', 'streams', 'capacity'];

/** Options of `runBenchmark`. */
export interface BenchOptions {
  readonly profile: BenchProfile;
  /** Where the JSON and Markdown results go (created if missing). */
  readonly outDir: string;
  /** Pin the gateways to core 1 and everything else to core 0 (when `taskset` and two cores exist). */
  readonly pin: boolean;
  /** An existing PostgreSQL's maintenance URL instead of starting the embedded one. */
  readonly pgAdminUrl?: string | null;
  readonly targets?: readonly TargetId[];
  readonly scenarios?: readonly Scenario[];
  /** Extra Node flags for the Keyward data plane (e.g. `--cpu-prof`). */
  readonly keywardNodeFlags?: readonly string[];
  /** Extra Node flags for the control plane child, whose CPU is the "helper" figure (e.g. `--cpu-prof`). */
  readonly controlPlaneNodeFlags?: readonly string[];
  /** The command line to record in the report. */
  readonly command: string;
  /** Soak mode: hold part of Keyward's peak load this long and watch its memory (`soak.ts`). */
  readonly soak?: SoakOptions | null;
  readonly log?: (line: string) => void;
}

/** Everything a run produced; written as JSON. */
export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly profile: BenchProfile;
  readonly machine: MachineInfo & { readonly loadAverageAtEnd: readonly number[] };
  readonly pinning: { readonly enabled: boolean; readonly detail: string };
  readonly workload: { readonly requestBytes: number; readonly streamRequestBytes: number; readonly model: string };
  readonly keyward: {
    readonly policy: ControlPlaneHello['setup']['policy'];
    readonly budget: ControlPlaneHello['setup']['budget'];
    readonly rateLimit: ControlPlaneHello['setup']['rateLimit'];
    readonly notes: readonly string[];
    readonly limiter: string;
    /** Usage events stored by the control plane during the run, by decision. */
    readonly eventsByDecision: Readonly<Record<string, number>>;
    /** Tags and decision of one stored event, to show what the policy did. */
    readonly sampleEvent: Readonly<Record<string, unknown>> | null;
    /** What the `keyward-otel` row's OTLP sink received (null without that row). */
    readonly otlpSink: { readonly exports: number; readonly spans: number } | null;
    /** Events the control plane stored while the rows were measured, and what storing them cost. */
    readonly ingestion: Ingestion | null;
  } | null;
  readonly ceilings: { readonly fastMock: { rps: number; concurrency: number } | null; readonly nodeMock: { rps: number; concurrency: number } | null };
  readonly rounds: readonly Round[];
  readonly capacity: Partial<Record<TargetId, CapacityResult>>;
  readonly rows: Partial<Record<TargetId, RowSummary>>;
  readonly ratios: ReturnType<typeof ratios>;
  readonly idleRssBytes: Partial<Record<TargetId, number>>;
  readonly policyEval: PolicyEvalBenchResult | null;
  readonly limits: LimitsBenchResult | null;
  readonly limitsError: string | null;
  /** The tracer alone: request-path time and CPU per traced request (null without the micro scenario). */
  readonly tracingCost: TracingCostResult | null;
  /** Names of secrets found in any server's log (should be empty). */
  readonly secretsInLogs: readonly string[];
  /** Soak mode's memory samples and slopes (absent otherwise). */
  readonly soak?: SoakResult | null;
}

/** Event ingestion at the bench's load: everything the control plane stored between the rows' first and last request. */
interface Ingestion {
  readonly events: number;
  readonly seconds: number;
  /** CPU seconds over the same span of the control plane's process and of its PostgreSQL's processes. */
  readonly controlPlaneCpuSeconds: number;
  readonly postgresCpuSeconds: number;
  /** Events stored per second of wall time (bounded by the load the rows drove). */
  readonly eventsPerSecond: number;
  /** Events stored per CPU second of the control plane alone, and of the control plane and PostgreSQL together: rates per core. */
  readonly eventsPerControlPlaneCpuSecond: number;
  readonly eventsPerCpuSecond: number;
}

/** What `runBenchmark` returns. */
export interface BenchRun {
  readonly results: BenchResults;
  readonly markdown: string;
  readonly jsonPath: string;
  readonly markdownPath: string;
}

const LOAD_CORE = '0';
const GATEWAY_CORE = '1';

/** Runs the benchmark end to end and writes `bench-<time>.json` and `.md` into `outDir`. */
export async function runBenchmark(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? ((line: string) => console.log(line));
  const profile = options.profile;
  const wanted = new Set(options.targets ?? TARGET_IDS);
  wanted.add('mock'); // the floor every "added" figure is measured against
  const scenarios = new Set(options.scenarios ?? ALL_SCENARIOS);
  const started = new Date();
  const machine = machineInfo();
  const workDir = await mkdtemp(join(tmpdir(), 'keyward-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its directory inside.
  await chmod(workDir, 0o755);
  const l = layout(workDir);

  const pinning = decidePinning(options.pin, machine.cores);
  const gatewayCores = pinning.enabled ? GATEWAY_CORE : null;
  const loadCores = pinning.enabled ? LOAD_CORE : null;
  log(
    `Keyward benchmark (${profile.name}): ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  log(`pinning: ${pinning.detail}`);

  let policyEval: PolicyEvalBenchResult | null = null;
  let limits: LimitsBenchResult | null = null;
  let limitsError: string | null = null;
  let tracingCost: TracingCostResult | null = null;
  if (scenarios.has('micro')) {
    log('policy evaluation alone…');
    policyEval = runPolicyEvalBench({ iterations: profile.policyEvalIterations });
    log('limiter reserve+settle…');
    try {
      limits = await runLimitsBench({ iterations: profile.limitsIterations, log: () => undefined });
    } catch (err) {
      limitsError = (err as Error).message;
      log(`limiter benchmark failed: ${limitsError}`);
    }
    log('tracing alone…');
    tracingCost = await runTracingCostBench({ requests: profile.tracingRequests });
  }

  const body = chatBody(false);
  const streamBody = chatBody(true);
  const secrets = planeSecrets(l);
  const children: Child[] = [];
  const targets = new Map<TargetId, Target>();
  let cp: { child: Child; hello: ControlPlaneHello } | null = null;
  const ceilings: { fastMock: { rps: number; concurrency: number } | null; nodeMock: { rps: number; concurrency: number } | null } = {
    fastMock: null,
    nodeMock: null,
  };
  const rounds: Round[] = [];
  const capacity: Partial<Record<TargetId, CapacityResult>> = {};
  const idleRssBytes: Partial<Record<TargetId, number>> = {};
  let eventsByDecision: Record<string, number> = {};
  let sampleEvent: Record<string, unknown> | null = null;
  let ingestion: Ingestion | null = null;
  let otlpSink: { child: Child; received: { exports: number; spans: number } | null } | null = null;
  let soak: SoakResult | null = null;
  const runsLoad = ['latency', 'throughput', 'streams', 'capacity'].some((s) => scenarios.has(s as Scenario)) || Boolean(options.soak);
  try {
    if (runsLoad) {
      log('starting the mock provider and measuring its ceiling…');
      const mock = await startFastMock(l, loadCores, profile.stream);
      children.push(mock);
      targets.set('mock', mockTarget(mock));
      ceilings.fastMock = await measureCeiling(targets.get('mock')!.endpoint, body, profile);
      const nodeMock = await startNodeMock(l, loadCores, profile.stream);
      ceilings.nodeMock = await measureCeiling(mockTarget(nodeMock).endpoint, body, profile);
      await nodeMock.stop();
      log(`mock ceilings: fast uWS mock ${Math.round(ceilings.fastMock.rps)} req/s, node:http mock ${Math.round(ceilings.nodeMock.rps)} req/s`);
      const mockUrl = targets.get('mock')!.endpoint.origin;

      if (wanted.has('bare')) {
        const bare = await startBare(l, gatewayCores, mockUrl);
        children.push(bare.child);
        targets.set('bare', bare.target);
      }
      if (wanted.has('keyward') || wanted.has('keyward-2w') || wanted.has('keyward-otel') || wanted.has('keyward-routed')) {
        log('starting PostgreSQL, the control plane and Keyward data-plane nodes…');
        cp = await startBenchControlPlane(l, loadCores, secrets, mockUrl, options.pgAdminUrl ?? null, options.controlPlaneNodeFlags);
        children.push(cp.child);
        for (const note of cp.hello.setup.notes) log(`note: ${note}`);
      }
      if (cp && (wanted.has('keyward') || wanted.has('keyward-routed'))) {
        const keyward = await startKeyward(l, gatewayCores, secrets, cp, { nodeFlags: options.keywardNodeFlags });
        children.push(keyward.child);
        if (wanted.has('keyward')) targets.set('keyward', keyward.target);
        if (wanted.has('keyward-routed') && cp.hello.setup.routeId !== null) targets.set('keyward-routed', routedKeywardTarget(keyward.target, cp));
      }
      if (cp && wanted.has('keyward-otel')) {
        // The same node with OTEL_EXPORTER_OTLP_ENDPOINT set, exporting to a sink beside the load generator.
        otlpSink = { child: await startOtlpSink(l, loadCores), received: null };
        children.push(otlpSink.child);
        const traced = await startKeyward(l, gatewayCores, secrets, cp, { otlpEndpoint: String(otlpSink.child.hello!.url) });
        children.push(traced.child);
        targets.set('keyward-otel', traced.target);
      }
      if (cp && wanted.has('keyward-2w')) {
        // Two workers need two cores: pinned, it shares the load generator's core with the rest.
        const twoWorkers = await startKeyward(l, pinning.enabled ? `${LOAD_CORE},${GATEWAY_CORE}` : null, secrets, cp, {
          workers: 2,
          nodeFlags: options.keywardNodeFlags,
        });
        children.push(twoWorkers.child);
        targets.set('keyward-2w', twoWorkers.target);
      }
      if (wanted.has('portkey')) {
        log("starting Portkey's gateway…");
        const portkey = await startPortkey(l, gatewayCores, mockUrl);
        children.push(portkey.child);
        targets.set('portkey', portkey.target);
      }
      for (const target of targets.values()) await checkTarget(target, body, streamBody, profile);
      for (const target of targets.values()) idleRssBytes[target.id] = rssBytes(target.pid);
      const ingestStart = cp ? await ingestMark(cp) : null;
      const keywardTarget = targets.get('keyward');
      if (options.soak && keywardTarget && cp) {
        soak = await runSoak(keywardTarget.endpoint, keywardTarget.pid, cp.child.pid, body, streamBody, options.soak, log);
      }

      const ids = [...targets.keys()];
      for (let r = 0; r < profile.rounds && (scenarios.has('latency') || scenarios.has('throughput') || scenarios.has('streams')); r++) {
        const order = shuffled(ids);
        const round: Round = { order, targets: {} };
        log(`round ${r + 1}/${profile.rounds}: ${order.join(', ')}`);
        for (const id of order) {
          const target = targets.get(id)!;
          const latency = scenarios.has('latency') ? await measureLatency(target, body, profile) : emptyLatency();
          const throughput = scenarios.has('throughput') ? await measureThroughput(target, body, profile) : emptyThroughput();
          const streamLatency = scenarios.has('streams') ? await measureStreamLatency(target, streamBody, profile) : emptyStreams();
          round.targets[id] = { latency, throughput, streamLatency };
          log(
            `  ${id.padEnd(8)} c=1 p50 ${latency.latency.p50.toFixed(3)} ms p99 ${latency.latency.p99.toFixed(3)} ms | ` +
              `${Math.round(throughput.maxRpsUnderLimit)} req/s under p99 ${profile.throughput.p99LimitMs} ms | ` +
              `TTFT p50 ${streamLatency.ttft.p50.toFixed(2)} ms, gap p99 ${streamLatency.gap.p99.toFixed(2)} ms`,
          );
        }
        rounds.push(round);
      }

      if (scenarios.has('capacity')) {
        for (const id of shuffled(ids)) {
          log(`stream capacity: ${id}…`);
          capacity[id] = await measureCapacity(targets.get(id)!, chatBody(true, profile.capacity.stream), profile, { layout: l, cores: loadCores });
          const c = capacity[id]!;
          log(
            `  ${id}: held ${c.maxStreams} streams; ${(c.rssPerStreamBytes / 1024).toFixed(1)} KiB RSS per stream; steps ${c.steps.map((s) => `${s.streams}:${s.passed ? 'ok' : `lost ${s.lost}, stalled ${s.stalled}`}`).join(' ')}`,
          );
        }
      }

      if (cp) ({ eventsByDecision, sampleEvent } = await storedEvents(cp, cp.hello.setup.keyId));
      if (cp && ingestStart) {
        ingestion = ingestionBetween(ingestStart, await ingestMark(cp));
        log(
          `event ingestion: ${ingestion.events} events stored, ${Math.round(ingestion.eventsPerSecond)}/s at the bench's load, ${Math.round(ingestion.eventsPerControlPlaneCpuSecond)} per CPU second of the control plane, ${Math.round(ingestion.eventsPerCpuSecond)} with PostgreSQL's`,
        );
      }
      if (otlpSink) {
        // Spans still queued go out within the batch processor's 5 s delay.
        await new Promise((resolve) => setTimeout(resolve, 6_000));
        otlpSink.received = (await (await fetch(`${String(otlpSink.child.hello!.url)}/stats`)).json()) as { exports: number; spans: number };
        log(`OTLP sink: ${otlpSink.received.spans} spans in ${otlpSink.received.exports} exports`);
      }
    }
  } catch (err) {
    log(`the servers' logs are kept in ${workDir}`);
    throw err;
  } finally {
    await stopAllChildren();
  }

  const rows = summarizeRows(rounds, capacity, ceilings.fastMock?.rps ?? 0);
  const rowRatios = ratios(rows);
  const results: BenchResults = {
    version: 1,
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    command: options.command,
    profile,
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    pinning,
    workload: { requestBytes: Buffer.byteLength(body), streamRequestBytes: Buffer.byteLength(streamBody), model: 'gpt-4o' },
    keyward: cp
      ? {
          policy: cp.hello.setup.policy,
          budget: cp.hello.setup.budget,
          rateLimit: cp.hello.setup.rateLimit,
          notes: cp.hello.setup.notes,
          limiter: 'in-memory (single node, no REDIS_URL)',
          eventsByDecision,
          sampleEvent,
          otlpSink: otlpSink?.received ?? null,
          ingestion,
        }
      : null,
    ceilings,
    rounds,
    capacity,
    rows,
    ratios: rowRatios,
    idleRssBytes,
    policyEval,
    limits,
    limitsError,
    tracingCost,
    soak,
    secretsInLogs: secretsInLogs(
      children.map((c) => c.logFile),
      {
        keywardKey: cp?.hello.setup.keySecret ?? '',
        routedKeywardKey: cp?.hello.setup.routedKeySecret ?? '',
        ownerToken: cp?.hello.ownerToken ?? '',
        nodeToken: secrets.KEYWARD_NODE_TOKEN,
        keyPepper: secrets.KEYWARD_KEY_PEPPER,
        providerCredential: 'sk-bench-provider-credential',
      },
    ),
  };
  const markdown = soak ? `${renderMarkdown(results)}\n${renderSoak(soak)}` : renderMarkdown(results);
  await mkdir(options.outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  const jsonPath = join(options.outDir, `bench-${stamp}.json`);
  const markdownPath = join(options.outDir, `bench-${stamp}.md`);
  await writeFile(jsonPath, `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(markdownPath, markdown);
  await rm(workDir, { recursive: true, force: true });
  return { results, markdown, jsonPath, markdownPath };
}

function decidePinning(wanted: boolean, cores: number): BenchResults['pinning'] {
  if (!wanted) return { enabled: false, detail: 'off (--no-pin): every process may run on any core' };
  if (cores < 2) return { enabled: false, detail: `off: only ${cores} core` };
  if (!canPin()) return { enabled: false, detail: 'off: taskset (util-linux) is not available' };
  if (!pinSelf(LOAD_CORE)) return { enabled: false, detail: 'off: taskset could not pin this process' };
  return {
    enabled: true,
    detail: `load generator, mock provider, control plane and PostgreSQL on core ${LOAD_CORE}; each gateway (bare, Keyward, Portkey) on core ${GATEWAY_CORE}`,
  };
}

/** One plain and one streamed request must succeed before anything is measured. */
async function checkTarget(target: Target, body: string, streamBody: string, profile: BenchProfile): Promise<void> {
  const deadline = Date.now() + 20_000;
  let answered = false;
  let last = '';
  const pool = openPool(target.endpoint, 1);
  try {
    // Keyward serves the key only once the control plane's config reached the node.
    while (!answered && Date.now() < deadline) {
      const batch = await closedLoop(pool, target.endpoint, body, { concurrency: 1, durationMs: 5_000, warmupMs: 0, maxRequests: 1 });
      answered = batch.completed === 1;
      if (!answered) {
        last = batch.errorExamples[0] ?? 'no answer';
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await pool.close();
  }
  if (!answered) throw new Error(`${TARGET_LABELS[target.id]} does not answer the benchmark request: ${last}`);
  const batch = await openStreams(target.endpoint, streamBody, { count: 1, spreadMs: 0, timeoutMs: 30_000 });
  const s = batch.streams[0];
  if (s.error !== null || s.contentEvents !== profile.stream.chunks || !s.sawDone) {
    throw new Error(`${TARGET_LABELS[target.id]} does not stream the benchmark answer: ${s.error ?? `${s.contentEvents} chunks, done ${s.sawDone}`}`);
  }
}

/** A connection to the bench's Keyward database. */
async function benchDatabase(hello: ControlPlaneHello): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: hello.adminUrl.replace(/\/[^/?]*(\?|$)/, `/${hello.database}$1`) });
  await client.connect();
  return client;
}

/** A point of the ingestion measurement: events stored so far, CPU seconds by process, the time. */
interface IngestMark {
  readonly events: number;
  readonly controlPlaneCpuSeconds: number;
  /** The embedded PostgreSQL's processes (it runs under the control plane), by pid. */
  readonly postgresCpuSeconds: ReadonlyMap<number, number>;
  readonly at: number;
}

async function ingestMark(cp: { child: Child; hello: ControlPlaneHello }): Promise<IngestMark> {
  // CPU first: the backend serving the count below must not be among the processes measured.
  const controlPlaneCpuSeconds = cpuSeconds(cp.child.pid);
  const postgresCpuSeconds = new Map(
    processTree(cp.child.pid)
      .filter((pid) => pid !== cp.child.pid)
      .map((pid) => [pid, cpuSeconds(pid)]),
  );
  const at = performance.now();
  const client = await benchDatabase(cp.hello);
  try {
    const { rows } = await client.query<{ n: string }>('select count(*)::text as n from usage_events');
    return { events: Number(rows[0]!.n), controlPlaneCpuSeconds, postgresCpuSeconds, at };
  } finally {
    await client.end();
  }
}

/** What was stored between two marks; a PostgreSQL backend that exited in between takes its CPU with it (a lower bound). */
function ingestionBetween(start: IngestMark, end: IngestMark): Ingestion {
  const events = end.events - start.events;
  const controlPlaneCpuSeconds = end.controlPlaneCpuSeconds - start.controlPlaneCpuSeconds;
  let postgresCpuSeconds = 0;
  for (const [pid, seconds] of end.postgresCpuSeconds) postgresCpuSeconds += seconds - (start.postgresCpuSeconds.get(pid) ?? 0);
  const perCpu = (cpu: number) => (cpu > 0 ? events / cpu : Number.NaN);
  return {
    events,
    seconds: (end.at - start.at) / 1000,
    controlPlaneCpuSeconds,
    postgresCpuSeconds,
    eventsPerSecond: (events * 1000) / (end.at - start.at),
    eventsPerControlPlaneCpuSecond: perCpu(controlPlaneCpuSeconds),
    eventsPerCpuSecond: perCpu(controlPlaneCpuSeconds + postgresCpuSeconds),
  };
}

async function storedEvents(
  cp: { hello: ControlPlaneHello },
  keyId: string,
): Promise<{ eventsByDecision: Record<string, number>; sampleEvent: Record<string, unknown> | null }> {
  // The node ships every ~250 ms; give the last batch time to land.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const client = await benchDatabase(cp.hello);
  try {
    const counts = await client.query<{ decision: string; n: string }>(
      'select decision, count(*)::text as n from usage_events where key_id = $1 group by decision',
      [keyId],
    );
    const sample = await client.query<Record<string, unknown>>('select * from usage_events where key_id = $1 order by started_at desc limit 1', [keyId]);
    const row = sample.rows[0];
    return {
      eventsByDecision: Object.fromEntries(counts.rows.map((r) => [r.decision, Number(r.n)])),
      sampleEvent: row ? pickEventFields(row) : null,
    };
  } finally {
    await client.end();
  }
}

function pickEventFields(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (/decision|tags|policy|status|tokens|cost|model|stream|latency/i.test(k)) out[k] = v;
  }
  return out;
}

function emptyLatency() {
  return { latency: { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN }, errors: 0, errorExamples: [] };
}
function emptyThroughput() {
  return { steps: [], maxRpsUnderLimit: NaN, peakRps: NaN, cpuPer1k: NaN, helperCpuPer1k: NaN };
}
function emptyStreams() {
  const none = { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  return { ttft: none, gap: none, failedStreams: 0 };
}
