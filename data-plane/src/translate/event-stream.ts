import { parseData } from '../providers/types.js';
import { SseParser } from '../streaming/sse-parser.js';
import type { StreamTranslator } from './contract.js';

/** What a pair does with each event of the target's SSE stream, returning the agent's SSE text. */
export interface EventHandler {
  /** One whole event: its `event:` name and its data as JSON (or as text when it is not JSON, e.g. `[DONE]`). */
  event(name: string | null, data: unknown): string;
  /** The target's stream ended (after its last event, or cut). */
  end(): string;
}

/** An SSE-to-SSE transformer: the target's bytes are split into whole events, whatever the chunk boundaries. */
export function sseTranslator(handler: EventHandler): StreamTranslator {
  const parser = new SseParser();
  const handle = (name: string | null, data: Buffer | null): string => {
    if (data === null) return '';
    return handler.event(name, parseData(data) ?? data.toString('utf8'));
  };
  return {
    push: (chunk) =>
      Buffer.from(
        parser
          .push(chunk)
          .map((e) => handle(e.event, e.data))
          .join(''),
        'utf8',
      ),
    end() {
      const last = parser.end();
      return Buffer.from((last ? handle(last.event, last.data) : '') + handler.end(), 'utf8');
    },
  };
}

/** One SSE event as OpenAI and Anthropic frame them. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}
