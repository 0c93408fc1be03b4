import type { JsonRpcMessage } from './json-rpc.js';

/** Sees each JSON-RPC message an MCP server sends back, and may replace it (null keeps it as it came). */
export type MessageRewrite = (message: JsonRpcMessage) => JsonRpcMessage | null;

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

/**
 * An MCP server's SSE answer, event by event, whatever the chunk boundaries: each event's
 * `data` is read as a JSON-RPC message and handed to `rewrite`; events it keeps (and events
 * that hold no JSON, such as comments or a priming event) go out byte for byte, the others with
 * their `data` replaced. `push` returns the text to send the agent now.
 */
export class SseMessages {
  private readonly decoder = new TextDecoder();
  private pending = '';

  constructor(private readonly rewrite: MessageRewrite) {}

  push(chunk: Uint8Array): string {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let out = '';
    for (;;) {
      const end = EVENT_END.exec(this.pending);
      if (!end) break;
      const event = this.pending.slice(0, end.index);
      out += this.event(event) + end[0];
      this.pending = this.pending.slice(end.index + end[0].length);
    }
    return out;
  }

  /** What is left when the stream ends (an event without its blank line goes out as it is). */
  end(): string {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    return rest;
  }

  private event(text: string): string {
    const lines = text.split(/\r\n|\n|\r/);
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
    if (data.length === 0) return text;
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(data.join('\n')) as JsonRpcMessage;
    } catch {
      return text;
    }
    if (typeof message !== 'object' || message === null) return text;
    const replaced = this.rewrite(message);
    if (replaced === null) return text;
    return [...lines.filter((l) => !l.startsWith('data:')), `data: ${JSON.stringify(replaced)}`].join('\n');
  }
}
