import type { Worker } from 'node:worker_threads';
import { AggregatorRegistry } from 'prom-client';
import type { MetricsJson, ToWorker } from './protocol.js';

/** How long a `/metrics` request waits for a worker's share before leaving it out. */
const COLLECT_TIMEOUT_MS = 1_000;

/**
 * `/metrics` of a worker pool: whichever worker is asked, the answer adds up every worker's
 * registry (counters and histograms summed; gauges as each declares: backlogs summed, the config
 * version the lowest served, a circuit the most open).
 */
export class PoolMetrics {
  private next = 0;
  private readonly pending = new Map<number, (metrics: MetricsJson) => void>();

  constructor(private readonly workers: () => readonly Worker[]) {}

  async text(): Promise<string> {
    const shares = await Promise.all(this.workers().map((worker) => this.collect(worker)));
    return AggregatorRegistry.aggregate(shares.filter((share) => share !== null)).metrics();
  }

  /** A worker's answer to `collect`. */
  collected(id: number, metrics: MetricsJson): void {
    this.pending.get(id)?.(metrics);
    this.pending.delete(id);
  }

  private collect(worker: Worker): Promise<MetricsJson | null> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, COLLECT_TIMEOUT_MS);
      this.pending.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      worker.postMessage({ type: 'collect', id } satisfies ToWorker);
    });
  }
}
