import type { GatewayError } from '../errors.js';
import { parseData } from '../providers/types.js';
import { SseParser } from '../streaming/sse-parser.js';
import type { StreamTranslator } from './contract.js';

/**
 * What a pair does with each event of the target's SSE stream, returning the agent's SSE text, or
 * the error that ends the answer (the target's error event, or its stream cut before the last event).
 */
export interface EventHandler {
  /** One whole event: its `event:` name and its data as JSON (or as text when it is not JSON, e.g. `[DONE]`). */
  event(name: string | null, data: unknown): string | GatewayError;
  /** The target's stream ended (after its last event, or cut). */
  end(): string | GatewayError;
}

/**
 * An SSE-to-SSE transformer: the target's bytes are split into whole events, whatever the chunk
 * boundaries. An error the handler returns reaches the agent as `errorEvent` writes it (the agent
 * family's stream error event) and is kept as the stream's `failure()`.
 */
export function sseTranslator(handler: EventHandler, errorEvent: (error: GatewayError) => string): StreamTranslator {
  const parser = new SseParser();
  let failure: GatewayError | null = null;
  const text = (out: string | GatewayError): string => {
    if (typeof out === 'string') return out;
    failure ??= out;
    return errorEvent(out);
  };
  const handle = (name: string | null, data: Buffer | null): string => {
    if (data === null) return '';
    return text(handler.event(name, parseData(data) ?? data.toString('utf8')));
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
      return Buffer.from((last ? handle(last.event, last.data) : '') + text(handler.end()), 'utf8');
    },
    failure: () => failure,
  };
}

/** One SSE event as OpenAI and Anthropic frame them. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}
