import { SseParser, type SseEvent } from '../streaming/sse-parser.js';
import type { JsonRpcMessage } from './json-rpc.js';

/** Sees each JSON-RPC message an MCP server sends back, and may replace it (null keeps it as it came). */
export type MessageRewrite = (message: JsonRpcMessage) => JsonRpcMessage | null;

/** The line end of an event's last field and the blank line after it, whichever of LF, CRLF and CR they use. */
const EVENT_END = /(?:\r\n|\r|\n)+$/;

/**
 * An MCP server's SSE answer, event by event, whatever the chunk boundaries and line ends (the
 * gateway's one SSE parser splits it): each event's `data` is read as a JSON-RPC message and
 * handed to `rewrite`; events it keeps (and events that hold no JSON, such as comments or a
 * priming event) go out byte for byte, the others with their `data` replaced. `push` returns
 * the text to send the agent now.
 */
export class SseMessages {
  private readonly parser = new SseParser();

  constructor(private readonly rewrite: MessageRewrite) {}

  push(chunk: Uint8Array): string {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let out = '';
    // An event ends at a line end, so its bytes never split a UTF-8 character.
    for (const event of this.parser.push(bytes)) out += this.event(event);
    return out;
  }

  /**
   * What is left when the stream ends: an event without its blank line is still read, so no
   * message reaches the agent without passing the rewrite (a result policy, say).
   */
  end(): string {
    const rest = this.parser.end();
    return rest === null ? '' : this.event(rest);
  }

  private event(event: SseEvent): string {
    const raw = event.raw.toString('utf8');
    if (event.data === null) return raw;
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(event.data.toString('utf8')) as JsonRpcMessage;
    } catch {
      return raw;
    }
    if (typeof message !== 'object' || message === null) return raw;
    const replaced = this.rewrite(message);
    if (replaced === null) return raw;
    const end = EVENT_END.exec(raw)?.[0] ?? '';
    const fields = raw.slice(0, raw.length - end.length).split(/\r\n|\n|\r/);
    return [...fields.filter((l) => !l.startsWith('data:')), `data: ${JSON.stringify(replaced)}`].join('\n') + end;
  }
}
