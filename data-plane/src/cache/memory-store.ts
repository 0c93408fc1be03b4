import type { ResponseStore } from './store.js';
import { fleetNow } from '../clock/fleet-clock.js';

interface Entry {
  readonly value: Buffer;
  readonly expiresAt: number;
}

/**
 * Cached answers in this node's memory: at most `maxBytes` of them, the least recently used
 * evicted first, each gone once its TTL passed. An answer larger than an eighth of the capacity
 * is not kept (it would evict too much for one entry).
 */
export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly clock: () => number = fleetNow,
  ) {}

  async get(key: string): Promise<Buffer | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.remove(key, entry);
    if (entry.expiresAt <= this.clock()) return null;
    // Re-inserted: a Map iterates in insertion order, so the front is the least recently used.
    this.entries.set(key, entry);
    this.bytes += entry.value.length;
    return entry.value;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    if (value.length > this.maxBytes / 8) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.entries.set(key, { value, expiresAt: this.clock() + ttlSeconds * 1000 });
    this.bytes += value.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest, entry);
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.value.length;
  }
}
