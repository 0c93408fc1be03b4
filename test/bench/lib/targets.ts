/**
 * The rows of the benchmark, each started as its own child process: the mock provider itself
 * (the floor), the bare pass-through, Keyward's data plane (configured by a running control
 * plane, shipping events to it), the same with OpenTelemetry traces exported to a local sink,
 * and Portkey's gateway.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '@keyward/control-plane';
import { generateSecret } from '@keyward/shared';
import { processTree } from './proc.js';
import { startChild, waitForHttp, type Child } from './children.js';
import type { Endpoint } from './load.js';
import { AGENT_HEADERS } from './workload.js';
import type { KeywardSetup } from './keyward-config.js';

/** The rows, in table order. */
export const TARGET_IDS = ['mock', 'bare', 'keyward', 'keyward-2w', 'keyward-otel', 'keyward-routed', 'portkey'] as const;
/** One of the rows. */
export type TargetId = (typeof TARGET_IDS)[number];

/** Human names for the table. */
export const TARGET_LABELS: Record<TargetId, string> = {
  mock: 'mock provider (floor)',
  bare: 'bare uWS + undici pass-through',
  keyward: 'Keyward data plane',
  'keyward-2w': 'Keyward data plane, 2 workers',
  'keyward-otel': 'Keyward data plane, traces exported over OTLP',
  'keyward-routed': 'Keyward, key bound to a 3-target fallback route',
  portkey: 'Portkey gateway',
};

/** A running row of the benchmark. */
export interface Target {
  readonly id: TargetId;
  readonly endpoint: Endpoint;
  /** The process whose CPU time and memory are the row's. */
  readonly pid: number;
  /** Helper processes whose CPU is reported beside the row (Keyward's control plane and PostgreSQL). */
  helperPids(): number[];
}

/** Where the compiled benchmark lives and where its children write. */
export interface Layout {
  /** The compiled `test/dist/bench` directory holding the child scripts. */
  readonly benchDist: string;
  /** The repository root. */
  readonly root: string;
  /** Scratch directory of this run (logs, state). */
  readonly workDir: string;
}

/** Finds the compiled child scripts, whether this module runs compiled or from source (vitest). */
export function layout(workDir: string): Layout {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled: test/dist/bench/lib; source: test/bench/lib.
  const benchDir = dirname(here);
  const testDir = here.includes(`${join('dist', 'bench')}`) ? dirname(dirname(benchDir)) : dirname(benchDir);
  return { benchDist: join(testDir, 'dist', 'bench'), root: dirname(testDir), workDir };
}

/** The credential the mock expects; not a secret (the mock accepts any bearer). */
const PROVIDER_KEY = 'sk-bench-provider-credential';

/** Starts the fast mock (the floor and every proxy's upstream). */
export function startFastMock(l: Layout, cores: string | null, stream: { chunks: number; intervalMs: number }): Promise<Child> {
  return startChild({
    name: 'fast mock',
    script: join(l.benchDist, 'servers', 'fast-mock.js'),
    args: ['--chunks', String(stream.chunks), '--interval-ms', String(stream.intervalMs)],
    cores,
    logFile: join(l.workDir, 'fast-mock.log'),
    waitForHello: true,
    startTimeoutMs: 15_000,
  });
}

/** Starts the end-to-end tests' node:http mock, only to measure its ceiling. */
export function startNodeMock(l: Layout, cores: string | null, stream: { chunks: number; intervalMs: number }): Promise<Child> {
  return startChild({
    name: 'node:http mock',
    script: join(l.benchDist, 'servers', 'node-mock.js'),
    args: ['--chunks', String(stream.chunks), '--interval-ms', String(stream.intervalMs)],
    cores,
    logFile: join(l.workDir, 'node-mock.log'),
    waitForHello: true,
    startTimeoutMs: 15_000,
  });
}

/** The floor: requests go straight to the mock. */
export function mockTarget(mock: Child): Target {
  return {
    id: 'mock',
    endpoint: { origin: String(mock.hello!.url), path: '/v1/chat/completions', headers: { ...AGENT_HEADERS, authorization: `Bearer ${PROVIDER_KEY}` } },
    pid: mock.pid,
    helperPids: () => [],
  };
}

/** Starts the bare pass-through in front of the mock. */
export async function startBare(l: Layout, cores: string | null, mockUrl: string): Promise<{ child: Child; target: Target }> {
  const child = await startChild({
    name: 'bare proxy',
    script: join(l.benchDist, 'bare-proxy.js'),
    args: ['--upstream', mockUrl],
    cores,
    logFile: join(l.workDir, 'bare-proxy.log'),
    waitForHello: true,
    startTimeoutMs: 15_000,
  });
  const target: Target = {
    id: 'bare',
    endpoint: { origin: String(child.hello!.url), path: '/v1/chat/completions', headers: { ...AGENT_HEADERS, authorization: `Bearer ${PROVIDER_KEY}` } },
    pid: child.pid,
    helperPids: () => [],
  };
  return { child, target };
}

/** Starts Portkey's gateway (its own `start-server.js`, as `npx` would) forwarding to the mock, with the streaming fix of `portkey-shim.ts`. */
export async function startPortkey(l: Layout, cores: string | null, mockUrl: string): Promise<{ child: Child; target: Target }> {
  const require = createRequire(join(l.root, 'test', 'package.json'));
  const pkg = require.resolve('@portkey-ai/gateway/package.json');
  const port = await freePort();
  const child = await startChild({
    name: 'portkey gateway',
    script: join(dirname(pkg), 'build', 'start-server.js'),
    args: [`--port=${port}`, '--headless'],
    // Without it Portkey cannot stream on Node (see servers/portkey-shim.ts).
    nodeFlags: ['--import', pathToFileURL(join(l.benchDist, 'servers', 'portkey-shim.js')).href],
    cores,
    logFile: join(l.workDir, 'portkey.log'),
    env: { NODE_ENV: 'production' },
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/`, 30_000, child, true);
  const target: Target = {
    id: 'portkey',
    endpoint: {
      origin,
      path: '/v1/chat/completions',
      headers: { ...AGENT_HEADERS, authorization: `Bearer ${PROVIDER_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mockUrl}/v1` },
    },
    pid: child.pid,
    helperPids: () => [],
  };
  return { child, target };
}

/** What the control plane child reported once configured. */
export interface ControlPlaneHello {
  readonly url: string;
  readonly orgId: string;
  readonly ownerToken: string;
  readonly setup: KeywardSetup;
  /** The control plane's database and the server's maintenance URL (to count stored events). */
  readonly database: string;
  readonly adminUrl: string;
}

/** Secrets both planes share, made fresh for each run. */
export interface PlaneSecrets {
  readonly KEYWARD_KEY_PEPPER: string;
  readonly KEYWARD_HASH_SALT: string;
  readonly KEYWARD_NODE_TOKEN: string;
  readonly KEYWARD_KMS: string;
}

/** Fresh shared secrets and a local KMS key file path in the run's directory. */
export function planeSecrets(l: Layout): PlaneSecrets {
  return {
    KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
    KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
    KEYWARD_NODE_TOKEN: generateSecret('node_token'),
    KEYWARD_KMS: `local:${join(l.workDir, 'kek.json')}`,
  };
}

/** Starts the control plane child (embedded PostgreSQL unless `pgAdminUrl`), configured for the benchmark. */
export async function startBenchControlPlane(
  l: Layout,
  cores: string | null,
  secrets: PlaneSecrets,
  mockUrl: string,
  pgAdminUrl: string | null,
  nodeFlags: readonly string[] = [],
): Promise<{ child: Child; hello: ControlPlaneHello }> {
  const child = await startChild({
    name: 'control plane',
    script: join(l.benchDist, 'servers', 'control-plane.js'),
    cores,
    nodeFlags,
    logFile: join(l.workDir, 'control-plane.log'),
    env: { ...secrets, BENCH_STATE_DIR: join(l.workDir, 'cp-state'), BENCH_MOCK_URL: mockUrl, ...(pgAdminUrl ? { BENCH_PG_ADMIN_URL: pgAdminUrl } : {}) },
    waitForHello: true,
    startTimeoutMs: 180_000,
  });
  return { child, hello: child.hello as unknown as ControlPlaneHello };
}

/** Starts the OTLP/HTTP sink the `keyward-otel` row exports its traces to. */
export function startOtlpSink(l: Layout, cores: string | null): Promise<Child> {
  return startChild({
    name: 'OTLP sink',
    script: join(l.benchDist, 'servers', 'otlp-sink.js'),
    cores,
    logFile: join(l.workDir, 'otlp-sink.log'),
    waitForHello: true,
    startTimeoutMs: 15_000,
  });
}

/** How a Keyward row's node differs from the plain one. */
export interface KeywardNodeOptions {
  /** Flags for `node` (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Export traces over OTLP to this base URL: the `keyward-otel` row. */
  readonly otlpEndpoint?: string;
  /** `KEYWARD_DP_WORKERS` above 1: the `keyward-2w` row. */
  readonly workers?: number;
  /**
   * Another build of the data plane to run instead of `data-plane/dist` (a copy of an earlier
   * `dist` inside `data-plane/`, e.g. `data-plane/before/dist`, so it resolves the same packages), under this name.
   */
  readonly build?: { readonly dist: string; readonly name: string };
}

/**
 * Starts a data-plane node as the real process (`data-plane/dist/main.js`), subscribed to the
 * control plane and shipping events to it, and waits until the benchmark key is served.
 */
export async function startKeyward(
  l: Layout,
  cores: string | null,
  secrets: PlaneSecrets,
  cp: { child: Child; hello: ControlPlaneHello },
  options: KeywardNodeOptions = {},
): Promise<{ child: Child; target: Target }> {
  const port = await freePort();
  const workers = options.workers ?? 1;
  const id: TargetId = options.otlpEndpoint ? 'keyward-otel' : workers > 1 ? 'keyward-2w' : 'keyward';
  const instance = options.build ? `${id}-${options.build.name}` : id;
  const child = await startChild({
    name: options.build ? `${TARGET_LABELS[id]} (${options.build.name})` : TARGET_LABELS[id],
    script: join(options.build?.dist ?? join(l.root, 'data-plane', 'dist'), 'main.js'),
    cores,
    nodeFlags: options.nodeFlags ?? [],
    logFile: join(l.workDir, `${instance}.log`),
    env: {
      ...secrets,
      NODE_ENV: 'production',
      KEYWARD_DP_PORT: String(port),
      KEYWARD_DP_HOST: '127.0.0.1',
      KEYWARD_CONTROL_PLANE_URL: cp.hello.url,
      KEYWARD_NODE_ID: `bench-${instance}`,
      KEYWARD_DP_STATE_DIR: join(l.workDir, `${instance}-state`),
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DP_WORKERS: String(workers),
      LOG_LEVEL: 'info',
      ...(options.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint } : {}),
    },
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/readyz`, 60_000, child);
  const target: Target = {
    id,
    endpoint: { origin, path: '/v1/chat/completions', headers: { ...AGENT_HEADERS, authorization: `Bearer ${cp.hello.setup.keySecret}` } },
    pid: child.pid,
    helperPids: () => processTree(cp.child.pid),
  };
  return { child, target };
}

/** The same data-plane process, called with the key bound to the three-target fallback route. */
export function routedKeywardTarget(keyward: Target, cp: { child: Child; hello: ControlPlaneHello }): Target {
  return {
    ...keyward,
    id: 'keyward-routed',
    endpoint: { ...keyward.endpoint, headers: { ...keyward.endpoint.headers, authorization: `Bearer ${cp.hello.setup.routedKeySecret}` } },
  };
}
