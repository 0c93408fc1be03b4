import { fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { UsageEvent } from '@keyward/shared';
import type { Logger } from '../observability/logger.js';
import { syncDirectory, writeFileAtomic } from '../storage/atomic-write.js';
import { countLines, CURSOR_FILE, fileSize, listSegments, readCursor, repairTornTail, segmentName } from './spool-files.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** A place in the spool: a segment number and a byte offset in it. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

/** Events read from the spool, to be acknowledged (or dead-lettered) as one unit. */
export interface SpoolBatch {
  /**
   * Each event's JSON exactly as spooled. Shipped as is: the control plane validates every
   * event, and parsing and re-serializing them here cost more than the rest of shipping.
   */
  readonly events: readonly string[];
  /** Where the cursor moves once the batch is acknowledged. */
  readonly end: SpoolPosition;
  /** Lines the batch consumes, including unreadable ones already set aside. */
  readonly lines: number;
}

/** Where a spool lives and how it reports. */
export interface SpoolOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** A segment is closed and a new one started past this size. */
  readonly segmentBytes?: number;
  /** Called after appended events became durable, so a shipper can wake up. */
  readonly onDurable?: () => void;
  /**
   * Least time between two fsyncs of the active segment (0: one per event-loop turn). Events
   * are written to the file in the next event-loop turn, or at once while a flush runs (waits
   * out the interval since the last fsync, or waits for an fsync); one fsync then covers every
   * event of a busy interval, and no event's `written` waits for an fsync. A
   * crashed process loses at most the appends of its last event-loop turn (none whose answer
   * already ended: the gateway waits for `written`); a power cut at most one interval's events.
   */
  readonly syncIntervalMs?: number;
  /** How long after a failed write (a full disk) the spool tries again (1 s by default). */
  readonly retryMs?: number;
}

interface PendingAppend {
  readonly line: string;
  readonly written: (() => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const DEAD_LETTER_FILE = 'dead-letter.ndjson';
const RETRY_MS = 1_000;
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * The node's durable event queue: append-only NDJSON segment files plus a cursor file that says
 * how far the control plane has acknowledged. Appends made in the same tick share one write, and
 * one fsync covers every write of a sync interval (group commit); readers only see bytes that
 * were fsync'd. The cursor moves (and fully shipped segments are deleted) only after an
 * acknowledgement, so a crash replays at most the batches whose acknowledgement it lost, which
 * the control plane deduplicates by id.
 *
 * A write or fsync that fails (no space left on the device, an I/O error) is cut from the file,
 * and its events are held in memory, in order, and written again every `retryMs` on a freshly
 * opened segment; meanwhile `failure` names the error, so the gateway can refuse new requests.
 */
export class EventSpool {
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private flushScheduled = false;
  private closed = false;
  private lastSyncAt = -Infinity;
  /**
   * While a flush runs: the appends written since its last fsync began, which its next fsync
   * makes durable. An append arriving then is written at once and joins them, so its `written`
   * waits neither for the sync interval nor for an fsync in progress (on a busy disk one takes
   * tens of milliseconds, and every answer waiting for `written` would wait as long). Appends
   * to a full segment queue instead, for the next one.
   */
  private unsynced: { readonly written: PendingAppend[]; bytes: number } | null = null;
  /** The appends the fsync in progress covers, until it succeeded. */
  private syncing: PendingAppend[] | null = null;
  /** Bytes in the active segment: the durable `activeSize` plus what was written since the last fsync. */
  private fileEnd: number;
  /** Appends whose write or fsync failed, oldest first, waiting for the retry. */
  private held: PendingAppend[] = [];
  /** The error code of the last failed write, until a retry succeeds. */
  private failed: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Set by `giveUpHeld`: no further retries are scheduled. */
  private retriesStopped = false;

  private constructor(
    private readonly options: SpoolOptions,
    private active: FileHandle,
    private activeSegment: number,
    private activeSize: number,
    private cursor: SpoolPosition,
    private pendingLines: number,
  ) {
    this.fileEnd = activeSize;
  }

  /** Opens (or creates) the spool in `dir`, repairing a torn last line left by a crash. */
  static async open(options: SpoolOptions): Promise<EventSpool> {
    const { dir, logger } = options;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const cursor = await readCursor(dir, logger);
    let segments = await listSegments(dir);
    for (const n of segments.filter((s) => s < cursor.segment)) await rm(join(dir, segmentName(n)), { force: true });
    segments = segments.filter((s) => s >= cursor.segment);

    const activeSegment = segments.length > 0 ? segments[segments.length - 1] : cursor.segment;
    const activePath = join(dir, segmentName(activeSegment));
    await repairTornTail(activePath, logger);
    const active = await open(activePath, 'a', 0o600);
    const activeSize = (await active.stat()).size;

    let pending = 0;
    for (const n of segments) pending += await countLines(join(dir, segmentName(n)), n === cursor.segment ? cursor.offset : 0);
    if (pending > 0) logger.info({ backlog: pending }, 'event spool has unshipped events from an earlier run');
    return new EventSpool(options, active, activeSegment, activeSize, cursor, pending);
  }

  /** Events written and not yet acknowledged (including ones still being fsync'd or held after a failed write). */
  get backlog(): number {
    return this.pendingLines + this.queue.length + this.held.length + (this.syncing?.length ?? 0) + (this.unsynced?.written.length ?? 0);
  }

  /** The error code (`ENOSPC`, `EIO`…) that keeps events from being written, or null while writes succeed. */
  get failure(): string | null {
    return this.failed;
  }

  /**
   * Appends an event; resolves once it is on disk. `written` runs once it is in the file (the
   * kernel's page cache), which a killed process no longer loses, before the fsync; or once a
   * failed write left it held in memory for the retry (lost if the process dies before that).
   */
  append(event: UsageEvent, written?: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event spool is closed'));
    return new Promise<void>((resolve, reject) => {
      const pending = { line: `${JSON.stringify(event)}\n`, written, resolve, reject };
      if (this.unsynced && this.fileEnd < this.segmentBytes) {
        this.unsynced.bytes += this.write([pending], this.unsynced.written);
        return;
      }
      this.queue.push(pending);
      this.scheduleFlush();
    });
  }

  /**
   * Reads up to `max` durable events after the cursor, from one segment. A batch with no
   * events but a later `end` means the cursor only needs to step past a finished segment.
   */
  async readBatch(max: number): Promise<SpoolBatch | null> {
    const { segment, offset } = this.cursor;
    const path = join(this.options.dir, segmentName(segment));
    const limit = segment === this.activeSegment ? this.activeSize : await fileSize(path);
    if (offset >= limit) {
      if (segment < this.activeSegment) return { events: [], end: { segment: segment + 1, offset: 0 }, lines: 0 };
      return null;
    }
    const handle = await open(path, 'r');
    try {
      const events: string[] = [];
      const unreadable: string[] = [];
      let position = offset;
      let lines = 0;
      let size = READ_CHUNK;
      while (events.length < max && position < limit) {
        const length = Math.min(size, limit - position);
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, position);
        const data = buf.subarray(0, bytesRead);
        let start = 0;
        let end = data.indexOf(NEWLINE, start);
        if (end < 0) {
          if (length < limit - position) {
            // One line longer than the read: read a bigger piece (an event is never this large in practice).
            size *= 2;
            continue;
          }
          // Durable bytes with no line end can only be the remains of a failed write.
          unreadable.push(data.toString('utf8'));
          lines++;
          position = limit;
          break;
        }
        while (end >= 0 && events.length < max) {
          const line = data.subarray(start, end).toString('utf8');
          lines++;
          if (looksLikeEvent(line)) events.push(line);
          else unreadable.push(line);
          start = end + 1;
          end = data.indexOf(NEWLINE, start);
        }
        position += start;
      }
      if (unreadable.length > 0) {
        await this.appendDeadLetters(unreadable.map((line) => ({ reason: 'unreadable spool line', line })));
        this.options.logger.error({ count: unreadable.length }, 'moved unreadable spool lines to the dead-letter file');
      }
      return { events, end: { segment, offset: position }, lines };
    } finally {
      await handle.close();
    }
  }

  /**
   * Moves the cursor past a batch the control plane accepted and deletes finished segments. The
   * cursor is replaced atomically but not fsync'd: losing its last moves to a power cut only
   * ships acknowledged events again, which the control plane drops by id, and an fsync per
   * batch cost more than shipping it.
   */
  async acknowledge(batch: SpoolBatch): Promise<void> {
    const previous = this.cursor;
    await writeFileAtomic(join(this.options.dir, CURSOR_FILE), JSON.stringify(batch.end), { durable: false });
    this.cursor = batch.end;
    this.pendingLines = Math.max(0, this.pendingLines - batch.lines);
    if (batch.end.segment > previous.segment) {
      for (let n = previous.segment; n < batch.end.segment; n++) await rm(join(this.options.dir, segmentName(n)), { force: true });
      await syncDirectory(this.options.dir);
    }
  }

  /** Sets a batch the control plane refused as invalid aside in the dead-letter file, then skips it. */
  async deadLetter(batch: SpoolBatch, reason: string): Promise<void> {
    await this.appendDeadLetters(batch.events.map((line) => ({ reason, event: parseOr(line) })));
    await this.acknowledge(batch);
  }

  /**
   * Writes out appends still queued and closes the active segment. Events still held after a
   * failed write get one last attempt; if that fails too their appends reject (they are lost).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.giveUpHeld();
    while (this.flushing || this.queue.length > 0) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
    await this.giveUpHeld();
    await this.active.close();
  }

  /**
   * For a shutdown: events held after a failed write get one last attempt, and those that still
   * cannot be written reject their appends (logged as lost), so nothing waits for a disk that
   * stays full.
   */
  async giveUpHeld(): Promise<void> {
    this.retriesStopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.held.length === 0) return;
    await this.retry();
    const lost = this.held.splice(0);
    if (lost.length === 0) return;
    this.options.logger.error({ events: lost.length, code: this.failed }, 'events lost: the event spool could not be written before shutdown');
    for (const p of lost) p.reject(new Error(`event spool could not be written (${this.failed ?? 'unknown error'})`));
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled) return;
    this.flushScheduled = true;
    // Waiting one turn of the event loop lets every append from this tick share the fsync.
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.flushing) this.startFlush();
    });
  }

  private async flushQueue(): Promise<void> {
    let group: { readonly written: PendingAppend[]; bytes: number } = { written: [], bytes: 0 };
    try {
      for (;;) {
        // A full segment is replaced once everything written to it is durable.
        if (group.written.length === 0 && this.activeSize >= this.segmentBytes) {
          this.unsynced = null;
          await this.rotate();
        }
        this.unsynced = group;
        group.bytes += this.write(this.queue.splice(0), group.written);
        if (group.written.length === 0) break;
        // Appends that arrive while the sync interval runs out are written at once, before the fsync too.
        const wait = this.lastSyncAt + (this.options.syncIntervalMs ?? 0) - performance.now();
        if (wait > 0 && !this.closed) await sleep(wait);
        // A write that failed meanwhile cut the group from the file and holds it (`fail`).
        if (group.written.length === 0) break;
        // Appends during the fsync are written at once too, for the next one (while the segment has room).
        const next = { written: [] as PendingAppend[], bytes: 0 };
        this.unsynced = next;
        this.syncing = group.written;
        try {
          await this.active.datasync();
          this.lastSyncAt = performance.now();
          // A write that failed meanwhile cut these from the file and holds them (`fail`).
          if (group.written.length > 0) {
            this.activeSize += group.bytes;
            this.pendingLines += group.written.length;
            for (const p of group.written) p.resolve();
          }
        } catch (err) {
          // After a failed fsync the kernel may have dropped the pages: none of these is durable.
          this.fail(err);
        }
        this.syncing = null;
        group = next;
      }
    } finally {
      this.unsynced = null;
      this.flushing = null;
    }
    this.options.onDurable?.();
  }

  /**
   * Runs `flushQueue` as the one flush in progress. The field is set before the flush can end:
   * a flush that awaits nothing (every write held after a failure) clears it in its own call.
   */
  private startFlush(): Promise<void> {
    const flush = Promise.resolve().then(() => this.flushQueue());
    this.flushing = flush;
    return flush;
  }

  /** A segment is replaced once it holds this many bytes. */
  private get segmentBytes(): number {
    return this.options.segmentBytes ?? 8 * 1024 * 1024;
  }

  /** Writes `group` to the active segment (adding it to `written`) and returns the bytes written; a failed write holds its appends for the retry. */
  private write(group: PendingAppend[], written: PendingAppend[]): number {
    if (group.length === 0) return 0;
    if (this.failed !== null) {
      // Nothing is written past events still held, so the file keeps the order of appends.
      this.release(group);
      this.held.push(...group);
      return 0;
    }
    const data = Buffer.from(group.map((p) => p.line).join(''), 'utf8');
    try {
      // A synchronous write to the page cache costs microseconds; the thread-pool round trip of an asynchronous one cost more.
      writeAll(this.active.fd, data);
    } catch (err) {
      this.release(group);
      this.fail(err, group);
      return 0;
    }
    this.fileEnd += data.length;
    written.push(...group);
    this.release(group);
    return data.length;
  }

  /**
   * Records a failed write or fsync: cuts whatever the file holds past its durable size (a torn
   * line, or lines whose fsync failed) and holds every append not yet durable, then `group` (a
   * write that failed), for the retry, oldest first (their `written` already ran).
   */
  private fail(err: unknown, group: readonly PendingAppend[] = []): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (this.failed === null)
      this.options.logger.error({ code, reason: (err as Error).message }, 'the event spool cannot be written; refusing new requests until it can');
    this.failed = code;
    try {
      ftruncateSync(this.active.fd, this.activeSize);
    } catch {
      // A segment that cannot even be cut (a device, not a file) is replaced by the retry's fresh open.
    }
    this.fileEnd = this.activeSize;
    this.held.push(...(this.syncing?.splice(0) ?? []), ...(this.unsynced?.written.splice(0) ?? []), ...group);
    if (this.unsynced) this.unsynced.bytes = 0;
    this.scheduleRetry();
  }

  /** Runs the appends' `written`, which lets their answers end: the events are in the file, or held in memory after a failed write. */
  private release(group: readonly PendingAppend[]): void {
    for (const p of group) p.written?.();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.retriesStopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, this.options.retryMs ?? RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * Reopens the active segment (a fresh handle on whatever the path now is) and writes the held
   * events again, ahead of anything newer; on failure they stay held for the next attempt.
   */
  private async retry(): Promise<void> {
    const path = join(this.options.dir, segmentName(this.activeSegment));
    let handle: FileHandle;
    try {
      handle = await open(path, 'a', 0o600);
    } catch (err) {
      this.options.logger.warn({ reason: (err as Error).message }, 'could not reopen the event spool segment');
      this.scheduleRetry();
      return;
    }
    // A flush running now only adds to the held events (writes wait while the spool is failed).
    while (this.flushing) await this.flushing;
    void this.active.close().catch(() => undefined);
    this.active = handle;
    this.activeSize = fstatSync(handle.fd).size;
    this.fileEnd = this.activeSize;
    const held = this.held.splice(0);
    this.failed = null;
    // Held appends already ran `written`: drop it so an answer is not released twice.
    this.queue.unshift(...held.map((p) => ({ ...p, written: undefined })));
    await this.startFlush();
    if (this.failed === null) this.options.logger.info({ events: held.length }, 'the event spool is writable again');
  }

  private async rotate(): Promise<void> {
    const next = this.activeSegment + 1;
    const handle = await open(join(this.options.dir, segmentName(next)), 'a', 0o600);
    await this.active.close();
    this.active = handle;
    this.activeSegment = next;
    this.activeSize = 0;
    this.fileEnd = 0;
    await syncDirectory(this.options.dir);
  }

  private async appendDeadLetters(entries: readonly Record<string, unknown>[]): Promise<void> {
    const at = new Date(fleetNow()).toISOString();
    const data = entries.map((e) => `${JSON.stringify({ deadLetteredAt: at, ...e })}\n`).join('');
    const handle = await open(join(this.options.dir, DEAD_LETTER_FILE), 'a', 0o600);
    try {
      await handle.write(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

/** Writes all of `data` at the file's end (a regular file takes it in one write, but the API allows less). */
function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length;) offset += writeSync(fd, data, offset);
}

/**
 * Whether a spooled line is whole: every line is one `JSON.stringify`d event, so a torn or
 * overwritten one no longer starts and ends like an object.
 */
function looksLikeEvent(line: string): boolean {
  return line.length > 1 && line.charCodeAt(0) === 0x7b && line.charCodeAt(line.length - 1) === 0x7d;
}

/** The event a line holds, or the line itself when it is not JSON. */
function parseOr(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
}
