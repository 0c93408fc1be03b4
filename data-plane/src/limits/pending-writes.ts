import type { ActualUsage, Ticket } from './types.js';

/** A settlement or release the shared store has not recorded yet. */
export interface PendingWrite {
  readonly ticket: Ticket;
  /** The settlement's usage; null for a release. */
  readonly actual: ActualUsage | null;
  /** Admitted by the node-local limiter: the shared store never saw its reservation. */
  readonly local: boolean;
}

type State = 'missed' | 'unknown';

/**
 * Writes to replay on the shared store once it answers again, one per ticket. A write that
 * timed out may still land: it waits as 'unknown' until its late outcome says whether to drop
 * it (it landed) or replay it (it failed), so nothing is counted twice.
 */
export class PendingWrites {
  private readonly writes = new Map<string, { write: PendingWrite; state: State }>();
  private costMicros = 0;

  /** Micro-dollars of pending settlements. */
  get micros(): number {
    return this.costMicros;
  }

  get size(): number {
    return this.writes.size;
  }

  /** Whether some writes can be replayed now. */
  get hasMissed(): boolean {
    for (const { state } of this.writes.values()) if (state === 'missed') return true;
    return false;
  }

  add(write: PendingWrite, state: State): void {
    if (this.writes.has(write.ticket.id)) return;
    this.writes.set(write.ticket.id, { write, state });
    this.costMicros += write.actual?.costMicros ?? 0;
  }

  /** The late outcome of a timed-out write: forget it if it landed, replay it otherwise. */
  resolve(ticketId: string, landed: boolean): void {
    const entry = this.writes.get(ticketId);
    if (entry === undefined) return;
    if (landed) this.remove(ticketId, entry.write);
    else entry.state = 'missed';
  }

  /** Removes and returns up to `limit` writes that can be replayed. */
  take(limit: number): PendingWrite[] {
    const taken: PendingWrite[] = [];
    for (const [id, { write, state }] of this.writes) {
      if (taken.length === limit) break;
      if (state !== 'missed') continue;
      this.remove(id, write);
      taken.push(write);
    }
    return taken;
  }

  private remove(id: string, write: PendingWrite): void {
    this.writes.delete(id);
    this.costMicros -= write.actual?.costMicros ?? 0;
  }
}
