import type { MessagePort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { DataPlaneConfig } from '../config.js';
import { workerStateDir } from '../events/leftover-spools.js';

/** What a worker is started with. */
export interface WorkerData {
  /** 0 to `count - 1`; worker 0 speaks for the node (heartbeat, spend reconciliation). */
  readonly index: number;
  readonly count: number;
  /** The shared in-memory counters (no `REDIS_URL`); null: the worker uses Redis itself. */
  readonly limiterPort: MessagePort | null;
  /** The session table every worker shares (HDP token sessions without Redis, `/mcp` aggregate sessions). */
  readonly sessionPort: MessagePort;
}

/** One worker's metrics as prom-client JSON. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * Messages from the supervisor to a worker: drain; send your metrics (`collect`); here are
 * every worker's metrics added up, for the `/metrics` request you asked about (`metrics`).
 */
export type ToWorker =
  { readonly type: 'drain' } | { readonly type: 'collect'; readonly id: number } | { readonly type: 'metrics'; readonly id: number; readonly text: string };

/** Messages from a worker to the supervisor. */
export type ToSupervisor =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'collected'; readonly id: number; readonly metrics: MetricsJson };

/**
 * A worker's own view of the node's configuration: it listens on a loopback port of its own
 * behind the acceptor (trusting the PROXY header the acceptor writes), keeps its state (last
 * known good config, event spool, approvals in flight) apart from the other workers' — worker 0
 * in the state directory itself, so a node that goes from one worker to several keeps its spool —
 * and takes its share of the in-memory response cache.
 */
export function workerConfig(config: DataPlaneConfig, data: Pick<WorkerData, 'index' | 'count'>): DataPlaneConfig {
  return Object.freeze({
    ...config,
    host: '127.0.0.1',
    port: 0,
    trustProxyProtocol: true,
    stateDir: workerStateDir(config.stateDir, data.index),
    responseCacheMaxBytes: Math.floor(config.responseCacheMaxBytes / data.count),
  });
}
