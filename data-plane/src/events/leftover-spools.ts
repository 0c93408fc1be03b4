import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { EventShipper } from './shipper.js';
import { EventSpool } from './spool.js';

/** A worker's state directory inside the node's: `worker-<index>` (worker 0 uses the node's own). */
const WORKER_DIR = /^worker-(\d+)$/;

/** Where worker `index` of a node keeps its state. */
export function workerStateDir(stateDir: string, index: number): string {
  return index === 0 ? stateDir : join(stateDir, `worker-${index}`);
}

/**
 * Spools nobody writes any more: those of workers at or beyond `workers`, left by a run with
 * more workers than this one. A node ships them beside its own until they are empty, so lowering
 * `KEYWARD_DP_WORKERS` loses no event.
 */
export class LeftoverSpools {
  private constructor(private readonly shipped: readonly { spool: EventSpool; shipper: EventShipper }[]) {}

  static async open(stateDir: string, workers: number, shipperFor: (spool: EventSpool) => EventShipper, logger: Logger): Promise<LeftoverSpools> {
    const entries = await readdir(stateDir, { withFileTypes: true }).catch(() => []);
    const dirs = entries.filter((e) => e.isDirectory() && Number(WORKER_DIR.exec(e.name)?.[1] ?? -1) >= workers).map((e) => join(stateDir, e.name, 'spool'));
    const shipped = [];
    for (const dir of dirs) {
      const spool = await EventSpool.open({ dir, logger });
      if (spool.backlog === 0) {
        await spool.close();
        continue;
      }
      logger.info({ dir, backlog: spool.backlog }, 'shipping the events a former worker left spooled');
      const shipper = shipperFor(spool);
      shipper.notify();
      shipped.push({ spool, shipper });
    }
    return new LeftoverSpools(shipped);
  }

  get backlog(): number {
    return this.shipped.reduce((sum, { spool }) => sum + spool.backlog, 0);
  }

  /** Ships what is left for up to `timeoutMs`, then stops; anything still spooled waits for the next start. */
  async close(timeoutMs: number): Promise<void> {
    for (const { spool, shipper } of this.shipped) {
      await shipper.drain(timeoutMs);
      await shipper.close();
      await spool.close();
    }
  }
}
