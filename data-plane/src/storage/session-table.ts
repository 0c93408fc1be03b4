/**
 * A small table of expiring string values, for state a request on any thread must find: which
 * session an HDP token id was first used in, and the aggregated `/mcp` endpoint's sessions. One
 * thread's node keeps a `MemorySessionTable`; a node on several worker threads keeps one on the
 * main thread and every worker reaches it through a port (`workers/session-table-channel.ts`).
 */
import { BoundedMap } from '@keyward/shared';

/** Expiring values by key; every call is one atomic step on the table. */
export interface SessionTable {
  /** The live value of `key`, or null; with `extendTo`, a live value's expiry moves to that time. */
  get(key: string, now: number, extendTo?: number): Promise<string | null>;
  /** Stores `value` unless `key` holds a live value; answers the live value after the call (this one or the one already there). */
  claim(key: string, value: string, expiresAt: number, now: number): Promise<string>;
  /** Replaces a live value (and its expiry); answers false, storing nothing, when `key` has none. */
  replace(key: string, value: string, expiresAt: number, now: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** The bound of a table: past it the entry stored longest ago goes first. */
const MAX_ENTRIES = 50_000;

/** A `SessionTable` in this thread's memory. Its `*Sync` methods are what a shared host calls in one turn. */
export class MemorySessionTable implements SessionTable {
  private readonly entries: BoundedMap<string, { value: string; expiresAt: number }>;

  constructor(maxEntries = MAX_ENTRIES) {
    this.entries = new BoundedMap(maxEntries);
  }

  getSync(key: string, now: number, extendTo?: number): string | null {
    const entry = this.live(key, now);
    if (entry && extendTo !== undefined) entry.expiresAt = Math.max(entry.expiresAt, extendTo);
    return entry?.value ?? null;
  }

  claimSync(key: string, value: string, expiresAt: number, now: number): string {
    const entry = this.live(key, now);
    if (entry) return entry.value;
    this.entries.remember(key, { value, expiresAt });
    return value;
  }

  replaceSync(key: string, value: string, expiresAt: number, now: number): boolean {
    if (!this.live(key, now)) return false;
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  deleteSync(key: string): void {
    this.entries.delete(key);
  }

  get(key: string, now: number, extendTo?: number): Promise<string | null> {
    return Promise.resolve(this.getSync(key, now, extendTo));
  }

  claim(key: string, value: string, expiresAt: number, now: number): Promise<string> {
    return Promise.resolve(this.claimSync(key, value, expiresAt, now));
  }

  replace(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    return Promise.resolve(this.replaceSync(key, value, expiresAt, now));
  }

  delete(key: string): Promise<void> {
    this.deleteSync(key);
    return Promise.resolve();
  }

  private live(key: string, now: number): { value: string; expiresAt: number } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt >= now) return entry;
    this.entries.delete(key);
    return undefined;
  }
}
