import type { ServerResponse } from 'node:http';
import type { ResolvedBehaviour } from './behaviour.js';

/**
 * A streamed answer laid out in three parts so stalls and failures can be placed by counting
 * content chunks: `head` (preamble events), `content` (one entry per delta), `tail` (closing
 * events, usage, terminator). `errorEvent` is what a provider sends when it fails mid-stream.
 */
export interface StreamPlan {
  readonly contentType: string;
  readonly head: readonly string[];
  readonly content: readonly string[];
  readonly tail: readonly string[];
  readonly errorEvent: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes a stream plan with the behaviour's pacing. Returns once the stream ended, stalled
 * (then the promise resolves when the client goes away) or failed.
 */
export async function writeStream(
  res: ServerResponse,
  plan: StreamPlan,
  behaviour: ResolvedBehaviour,
  onBackpressure: () => void = () => undefined,
): Promise<void> {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, { 'content-type': plan.contentType, 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const event of plan.head) res.write(event);
  for (let i = 0; i < plan.content.length; i++) {
    if (closed) return;
    if (behaviour.stallAfterChunks !== null && i === behaviour.stallAfterChunks) {
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return;
    }
    if (behaviour.failAfterChunks !== null && i === behaviour.failAfterChunks) {
      if (behaviour.failWith === 'event') {
        res.end(plan.errorEvent);
      } else if (behaviour.failWith === 'end') {
        res.end();
      } else {
        res.socket?.destroy();
      }
      return;
    }
    if (i > 0 && behaviour.intervalMs > 0) await sleep(behaviour.intervalMs);
    if (closed) return;
    if (!res.write(plan.content[i])) {
      onBackpressure();
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  if (behaviour.stallAfterChunks !== null && behaviour.stallAfterChunks >= plan.content.length) {
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    return;
  }
  if (closed) return;
  for (const event of plan.tail) res.write(event);
  res.end();
}

/** One SSE event with an optional event name, the way OpenAI's and Anthropic's servers frame them. */
export function sse(data: unknown, event?: string): string {
  const body = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ''}data: ${body}\n\n`;
}
