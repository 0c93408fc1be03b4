import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigSnapshot } from '@keyward/shared';
import {
  createLogger,
  createManualConfigSource,
  loadDataPlaneConfig,
  startDataPlane,
  type ConfigSource,
  type DataPlane,
  type EnforcementStep,
  type Limiter,
  type ManualConfigSource,
} from '@keyward/data-plane';
import type { TestWorld } from './world.js';

export interface TestDataPlaneOptions {
  readonly world: TestWorld;
  /** Published through a manual config source before start. */
  readonly snapshot?: ConfigSnapshot;
  /**
   * Where config comes from: a manual source the test drives (default), the real graphql-ws
   * client against `controlPlaneUrl`, or a given source.
   */
  readonly source?: 'manual' | 'control-plane' | ConfigSource;
  /** Keep state here (and leave it on close) instead of a fresh temp directory. */
  readonly stateDir?: string;
  /** Where events go; by default a port nothing listens on, so events stay spooled. */
  readonly eventsUrl?: string;
  readonly controlPlaneUrl?: string;
  /** Extra environment variables (timeouts, limits). */
  readonly env?: Readonly<Record<string, string>>;
  readonly heartbeat?: boolean;
  /** Enforcement steps between the key check and the upstream call. */
  readonly enforcement?: readonly EnforcementStep[];
  /** Budget and rate-limit counters (default: the node's own, in memory). */
  readonly limiter?: Limiter;
  /** How long close keeps trying to ship events (short by default: most tests have no collector). */
  readonly eventFlushTimeoutMs?: number;
}

/** A data plane started for a test, with its captured log lines. */
export interface TestDataPlane {
  readonly url: string;
  readonly node: DataPlane;
  /** The manual config source, when no other source was given. */
  readonly source: ManualConfigSource | null;
  readonly stateDir: string;
  /** Every JSON log line the node wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Starts a data-plane node in-process, configured through `loadDataPlaneConfig` like the real process. */
export async function startTestDataPlane(options: TestDataPlaneOptions): Promise<TestDataPlane> {
  const { world } = options;
  const ownState = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'keyward-dp-')));
  const config = loadDataPlaneConfig({
    KEYWARD_DP_PORT: '0',
    KEYWARD_DP_HOST: '127.0.0.1',
    KEYWARD_CONTROL_PLANE_URL: options.controlPlaneUrl ?? 'http://127.0.0.1:9',
    KEYWARD_EVENTS_URL: options.eventsUrl ?? 'http://127.0.0.1:9/v1/node/events',
    KEYWARD_NODE_TOKEN: world.nodeToken,
    KEYWARD_NODE_ID: 'test-node',
    KEYWARD_DP_STATE_DIR: stateDir,
    KEYWARD_KMS: world.kmsSpec,
    KEYWARD_KEY_PEPPER: world.pepper.toString('base64'),
    KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
    KEYWARD_EVENT_FLUSH_MS: '20',
    KEYWARD_DRAIN_SECONDS: '5',
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const choice = options.source ?? 'manual';
  const source = choice === 'manual' ? createManualConfigSource('test') : null;
  if (source && options.snapshot) source.publish(options.snapshot);
  const configSource = choice === 'manual' ? source! : choice === 'control-plane' ? undefined : choice;
  const node = await startDataPlane(config, {
    configSource,
    logger,
    heartbeat: options.heartbeat ?? false,
    enforcement: options.enforcement,
    limiter: options.limiter,
    // No control plane answers these tests' spend queries.
    spendReconcile: false,
    eventFlushTimeoutMs: options.eventFlushTimeoutMs ?? 300,
  });
  return {
    url: node.url,
    node,
    source,
    stateDir,
    logs,
    async close() {
      await node.close();
      if (ownState) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
