/**
 * A key's last minute of activity on one node, in twelve five-second slots: the local counters
 * a request is scored with, next to the pushed baseline. Fixed typed arrays, so recording and
 * reading allocate nothing.
 */

const SLOT_MS = 5_000;
const SLOTS = 12;
/** Columns of a slot. */
const REQUESTS = 0;
const SPEND = 1;
const FAILED = 2;
const BLOCKED = 3;
const COLUMNS = 4;

/** Totals over the last `ms` of a window. */
export interface WindowTotals {
  requests: number;
  costMicros: number;
  failed: number;
  blocked: number;
}

/** The longest span a window answers for. */
export const WINDOW_SPAN_MS = SLOT_MS * SLOTS;

export class ActivityWindow {
  private readonly counts = new Float64Array(SLOTS * COLUMNS);
  /** The slot number (epoch ms / SLOT_MS) each ring position holds, -1 when empty. */
  private readonly slotOf = new Float64Array(SLOTS).fill(-1);

  /** Adds one request finished at `at` (epoch ms). */
  record(at: number, costMicros: number, failed: boolean, blocked: boolean): void {
    const slot = Math.floor(at / SLOT_MS);
    const index = slot % SLOTS;
    if (this.slotOf[index] !== slot) {
      this.slotOf[index] = slot;
      this.counts.fill(0, index * COLUMNS, index * COLUMNS + COLUMNS);
    }
    const base = index * COLUMNS;
    this.counts[base + REQUESTS]! += 1;
    this.counts[base + SPEND]! += costMicros;
    if (failed) this.counts[base + FAILED]! += 1;
    if (blocked) this.counts[base + BLOCKED]! += 1;
  }

  /** Writes into `into` the totals of the slots covering the last `ms` before `at`. */
  totals(at: number, ms: number, into: WindowTotals): WindowTotals {
    into.requests = into.costMicros = into.failed = into.blocked = 0;
    const newest = Math.floor(at / SLOT_MS);
    const oldest = newest - Math.max(1, Math.ceil(ms / SLOT_MS)) + 1;
    for (let index = 0; index < SLOTS; index++) {
      const slot = this.slotOf[index]!;
      if (slot < oldest || slot > newest) continue;
      const base = index * COLUMNS;
      into.requests += this.counts[base + REQUESTS]!;
      into.costMicros += this.counts[base + SPEND]!;
      into.failed += this.counts[base + FAILED]!;
      into.blocked += this.counts[base + BLOCKED]!;
    }
    return into;
  }

  /** True when nothing was recorded in the last minute before `at` (the window can be dropped). */
  idleAt(at: number): boolean {
    const newest = Math.floor(at / SLOT_MS);
    for (let index = 0; index < SLOTS; index++) if (this.slotOf[index]! > newest - SLOTS) return false;
    return true;
  }
}
