import type { TokenUsage } from '../providers/types.js';
import type { ResponseTap } from '../server/response.js';

/** A complete successful answer as the agent received it, with what its event records. */
export interface CachedAnswer {
  readonly status: number;
  readonly contentType: string;
  /** The provider model that answered. */
  readonly model: string;
  readonly usage: TokenUsage;
  /** The body bytes the agent received (for a stream, its SSE events). */
  readonly body: Buffer;
}

interface Head {
  readonly status: number;
  readonly contentType: string;
  readonly model: string;
  readonly usage: TokenUsage;
}

/** One stored value: the JSON head, a newline, then the body bytes as they were. */
export function encodeAnswer(answer: CachedAnswer): Buffer {
  const head: Head = { status: answer.status, contentType: answer.contentType, model: answer.model, usage: answer.usage };
  return Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), answer.body]);
}

/** Reads a stored value back; null for anything unreadable (a miss, not an error). */
export function decodeAnswer(value: Buffer): CachedAnswer | null {
  const newline = value.indexOf(10);
  if (newline < 0) return null;
  try {
    const head = JSON.parse(value.subarray(0, newline).toString('utf8')) as Head;
    if (typeof head.status !== 'number' || typeof head.contentType !== 'string' || typeof head.model !== 'string' || typeof head.usage !== 'object')
      return null;
    return { ...head, body: value.subarray(newline + 1) };
  } catch {
    return null;
  }
}

/**
 * A copy of what goes out to the agent (status, content type, body bytes), taken while the
 * answer is relayed; past `maxBytes` it gives up, and the answer is not cached.
 */
export class AnswerCopy implements ResponseTap {
  status = 0;
  contentType = '';
  private chunks: Buffer[] = [];
  private bytes = 0;
  overflowed = false;

  constructor(private readonly maxBytes: number) {}

  head(status: number, headers: readonly (readonly [string, string])[]): void {
    this.status = status;
    this.contentType = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  }

  body(chunk: Uint8Array | string): void {
    if (this.overflowed) return;
    const copy = Buffer.from(chunk);
    this.bytes += copy.length;
    if (this.bytes > this.maxBytes) {
      this.overflowed = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(copy);
  }

  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
