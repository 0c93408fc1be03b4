import { RedactionMapping } from './mapping.js';

/** An incremental transformer over the text of a streamed response. */
export interface RestoreStream {
  /** Returns the text that can be released now; a possible placeholder at the end is held back. */
  push(chunk: string): string;
  /** Returns whatever is still held back (an unfinished placeholder is released as written). */
  flush(): string;
}

/** Options of `createRestoreStream`. */
export interface RestoreStreamOptions {
  /**
   * `json` escapes originals as JSON string content, for streams of JSON text such as tool-call
   * argument deltas; `none` (default) inserts them verbatim.
   */
  readonly escape?: 'none' | 'json';
}

const TOKEN_SHAPE = /^\[[^[\]]+\]$/;

/**
 * Puts original values back in place of the placeholders listed in `mapping` (its `restorable`
 * tokens, or a token → original map) while the response streams. A placeholder split across
 * chunks (`[EMA` + `IL_1]`) is restored whole: only a tail that could still become a
 * placeholder is held back, never more than the longest token minus one character.
 */
export function createRestoreStream(mapping: RedactionMapping | ReadonlyMap<string, string>, options: RestoreStreamOptions = {}): RestoreStream {
  const source = mapping instanceof RedactionMapping ? mapping.restorable : mapping;
  const replacements = new Map<string, string>();
  const prefixes = new Set<string>();
  let maxLength = 0;
  for (const [token, original] of source) {
    if (!TOKEN_SHAPE.test(token)) throw new TypeError(`"${token}" is not a placeholder of the form [LABEL_ID]`);
    replacements.set(token, options.escape === 'json' ? JSON.stringify(original).slice(1, -1) : original);
    for (let i = 1; i < token.length; i++) prefixes.add(token.slice(0, i));
    maxLength = Math.max(maxLength, token.length);
  }
  if (replacements.size === 0) return { push: (chunk) => chunk, flush: () => '' };

  let pending = '';
  return {
    push(chunk: string): string {
      const text = pending + chunk;
      pending = '';
      let out = '';
      let cursor = 0;
      let open = text.indexOf('[');
      while (open >= 0) {
        const limit = Math.min(text.length, open + maxLength);
        let close = -1;
        for (let i = open + 1; i < limit; i++) {
          const c = text.charCodeAt(i);
          if (c === 93) {
            close = i;
            break;
          }
          if (c === 91) break; // a second '[' ends any candidate: tokens hold one
        }
        if (close >= 0) {
          const replacement = replacements.get(text.slice(open, close + 1));
          if (replacement !== undefined) {
            out += text.slice(cursor, open) + replacement;
            cursor = close + 1;
            open = text.indexOf('[', cursor);
            continue;
          }
        } else if (limit === text.length && prefixes.has(text.slice(open))) {
          pending = text.slice(open);
          return out + text.slice(cursor, open);
        }
        open = text.indexOf('[', open + 1);
      }
      return out + text.slice(cursor);
    },
    flush(): string {
      const rest = pending;
      pending = '';
      return rest;
    },
  };
}

/** Restores every placeholder of `mapping` in a complete text. */
export function restoreText(text: string, mapping: RedactionMapping | ReadonlyMap<string, string>): string {
  const stream = createRestoreStream(mapping);
  return stream.push(text) + stream.flush();
}
