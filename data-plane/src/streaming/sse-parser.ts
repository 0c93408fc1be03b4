/** One server-sent event as it arrived, with the two fields the gateway looks at. */
export interface SseEvent {
  /** The event's exact bytes, including its terminating blank line: what is forwarded. */
  readonly raw: Buffer;
  /** The `event:` field, or null when absent. */
  readonly event: string | null;
  /** The `data:` lines joined with `\n`, or null when the event had none. */
  readonly data: Buffer | null;
}

const LF = 0x0a;
const CR = 0x0d;
const DATA = Buffer.from('data:');
const EVENT = Buffer.from('event:');
const SPACE = 0x20;

/**
 * An incremental SSE parser over Buffers. It splits the byte stream into whole events (so one
 * can be dropped or inspected) without decoding anything but `event:` names; data stays bytes
 * until a caller decides an event is worth `JSON.parse`. Handles LF, CRLF and CR line ends,
 * including a CRLF split across chunks.
 */
export class SseParser {
  private pending: Buffer | null = null;

  /** Feeds a chunk and returns the events it completed. */
  push(chunk: Buffer): SseEvent[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: SseEvent[] = [];
    let eventStart = 0;
    let lineStart = 0;
    let name: string | null = null;
    let dataParts: Buffer[] | null = null;
    let i = 0;
    while (i < buf.length) {
      const byte = buf[i];
      if (byte !== LF && byte !== CR) {
        i++;
        continue;
      }
      // A CR as the last byte might be the first half of a CRLF: wait for the next chunk.
      if (byte === CR && i === buf.length - 1) break;
      const lineEnd = i;
      i += byte === CR && buf[i + 1] === LF ? 2 : 1;
      if (lineEnd === lineStart) {
        if (name !== null || dataParts !== null || lineStart > eventStart) {
          events.push({ raw: buf.subarray(eventStart, i), event: name, data: joinData(dataParts) });
        }
        eventStart = i;
        name = null;
        dataParts = null;
      } else {
        const line = buf.subarray(lineStart, lineEnd);
        if (startsWith(line, DATA)) {
          (dataParts ??= []).push(fieldValue(line, DATA.length));
        } else if (startsWith(line, EVENT)) {
          name = fieldValue(line, EVENT.length).toString('utf8');
        }
      }
      lineStart = i;
    }
    this.pending = eventStart < buf.length ? Buffer.from(buf.subarray(eventStart)) : null;
    return events;
  }

  /**
   * Returns what is left when the stream ends: the bytes of an unterminated last event, which
   * are still forwarded so the client sees exactly what the provider sent.
   */
  end(): SseEvent | null {
    const rest = this.pending;
    this.pending = null;
    if (!rest || rest.length === 0) return null;
    const events = new SseParser().push(Buffer.concat([rest, Buffer.from('\n\n')]));
    const parsed = events[0];
    return { raw: rest, event: parsed?.event ?? null, data: parsed?.data ?? null };
  }
}

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function fieldValue(line: Buffer, offset: number): Buffer {
  return line[offset] === SPACE ? line.subarray(offset + 1) : line.subarray(offset);
}

function joinData(parts: Buffer[] | null): Buffer | null {
  if (parts === null) return null;
  if (parts.length === 1) return parts[0];
  const joined: Buffer[] = [];
  parts.forEach((part, index) => {
    if (index > 0) joined.push(Buffer.from('\n'));
    joined.push(part);
  });
  return Buffer.concat(joined);
}
