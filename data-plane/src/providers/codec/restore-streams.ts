import { createRestoreStream, type RestoreStream } from '@keyward/shared';
import { mapStrings } from './walk.js';

/**
 * The restore streams of one answer, one per text being streamed (a choice's content, a tool
 * call's arguments), created on first use. `text` streams insert originals verbatim; `json`
 * streams insert them JSON-escaped, for argument deltas that are pieces of JSON text.
 */
export class RestoreStreams {
  private readonly streams = new Map<string, RestoreStream>();
  /** Streams for whole texts: a push then a flush leaves one empty again, ready for the next text. */
  private readonly plain: RestoreStream;
  private readonly escaped: RestoreStream;

  constructor(private readonly mapping: ReadonlyMap<string, string>) {
    this.plain = createRestoreStream(mapping);
    this.escaped = createRestoreStream(mapping, { escape: 'json' });
  }

  /** Pushes a delta of text `key` and returns what can be released. */
  text(key: string, delta: string): string {
    return this.stream(`t:${key}`, 'none').push(delta);
  }

  /** Pushes a delta of JSON text `key` (tool-call arguments). */
  json(key: string, delta: string): string {
    return this.stream(`j:${key}`, 'json').push(delta);
  }

  /** Ends text `key`: what it still held back. */
  flushText(key: string): string {
    return this.flush(`t:${key}`);
  }

  /** Ends JSON text `key`. */
  flushJson(key: string): string {
    return this.flush(`j:${key}`);
  }

  /**
   * Ends every stream still open (or those whose key starts with `prefix`): `[kind, key, rest]`
   * for those that held something back.
   */
  flushAll(prefix = ''): ['text' | 'json', string, string][] {
    const out: ['text' | 'json', string, string][] = [];
    for (const name of Array.from(this.streams.keys())) {
      if (!name.startsWith(prefix, 2)) continue;
      const rest = this.flush(name);
      if (rest) out.push([name.startsWith('t:') ? 'text' : 'json', name.slice(2), rest]);
    }
    return out;
  }

  /** Restores a whole text. */
  whole(text: string): string {
    return this.plain.push(text) + this.plain.flush();
  }

  /** Restores a whole JSON text (the originals are JSON-escaped). */
  wholeJson(text: string): string {
    return this.escaped.push(text) + this.escaped.flush();
  }

  /** Restores every string inside a JSON value (arguments given as objects). */
  values(value: unknown): unknown {
    return mapStrings(value, (text) => this.whole(text));
  }

  private stream(name: string, escape: 'none' | 'json'): RestoreStream {
    let stream = this.streams.get(name);
    if (!stream) {
      stream = createRestoreStream(this.mapping, { escape });
      this.streams.set(name, stream);
    }
    return stream;
  }

  private flush(name: string): string {
    const stream = this.streams.get(name);
    if (!stream) return '';
    this.streams.delete(name);
    return stream.flush();
  }
}
