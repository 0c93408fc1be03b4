import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { SpoolPosition } from './spool.js';

/** File-level helpers of the event spool: naming, the cursor file, crash repair and counting. */

const SEGMENT = /^segment-(\d{12})\.ndjson$/;
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

/** The file name of segment `n` (zero-padded so names sort like numbers). */
export const segmentName = (n: number) => `segment-${String(n).padStart(12, '0')}.ndjson`;

/** The cursor file's name inside the spool directory. */
export const CURSOR_FILE = 'cursor.json';

/**
 * Where shipping resumes: the stored cursor, or the start of the oldest segment when there is
 * none. The cursor is written without fsync (see `EventSpool.acknowledge`), so after a power
 * cut it may be older than the last acknowledgement, or empty: an unreadable cursor is logged
 * and shipping restarts from the oldest segment; the control plane drops events it already
 * stored by id.
 */
export async function readCursor(dir: string, logger: Logger): Promise<SpoolPosition> {
  const path = join(dir, CURSOR_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return oldestSegmentStart(dir);
  }
  try {
    const parsed = JSON.parse(text) as Partial<SpoolPosition>;
    if (Number.isInteger(parsed.segment) && Number.isInteger(parsed.offset) && parsed.segment! >= 1 && parsed.offset! >= 0) {
      return { segment: parsed.segment!, offset: parsed.offset! };
    }
  } catch {
    // Not JSON: handled below like any other unreadable cursor.
  }
  logger.warn({ path }, 'event spool cursor is unreadable; shipping again from the oldest segment (the control plane drops duplicates)');
  return oldestSegmentStart(dir);
}

async function oldestSegmentStart(dir: string): Promise<SpoolPosition> {
  const first = (await listSegments(dir))[0];
  return { segment: first ?? 1, offset: 0 };
}

/** Segment numbers present in the directory, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** A file's size, 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** A crash during a write can leave half a line at the end; it was never acknowledged to anyone, so it is cut. */
export async function repairTornTail(path: string, logger: Logger): Promise<void> {
  const size = await fileSize(path);
  if (size === 0) return;
  const handle = await open(path, 'r');
  try {
    let end = size;
    const buf = Buffer.allocUnsafe(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await handle.read(buf, 0, end - start, start);
      const at = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (at >= 0) {
        const keep = start + at + 1;
        if (keep < size) {
          logger.warn({ bytes: size - keep }, 'cut a torn line from the end of the event spool');
          await truncate(path, keep);
        }
        return;
      }
      end = start;
    }
    await truncate(path, 0);
  } finally {
    await handle.close();
  }
}

/** Newlines (events) in a file from byte `from` on. */
export async function countLines(path: string, from: number): Promise<number> {
  let lines = 0;
  const stream = createReadStream(path, { start: from, highWaterMark: READ_CHUNK });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let at = chunk.indexOf(NEWLINE);
    while (at >= 0) {
      lines++;
      at = chunk.indexOf(NEWLINE, at + 1);
    }
  }
  return lines;
}
