import type { ToolCall } from '@keyward/shared';

/** One SSE event's parsed data, with its `event:` name. */
export interface Payload {
  readonly name: string | null;
  readonly json: unknown;
}

/**
 * Puts redacted originals back into one answer (see `createRestoreStream`): text deltas go
 * through a restore stream per text (so a placeholder split across events is restored whole),
 * tool-call argument deltas through one that writes JSON-escaped originals, and texts that
 * arrive whole (the "done" events, non-streamed answers) are restored at once.
 */
export interface AnswerRestorer {
  /** One event's data; the payloads to send in its place (synthesized ones first), or null when unchanged. */
  event(name: string | null, json: unknown): Payload[] | null;
  /** Text still held back when the answer ends, as events to send before its end. */
  end(): Payload[];
  /** A whole answer: a JSON response, or (Gemini without `alt=sse`) an array of chunks. */
  body(json: unknown): unknown;
}

/** Assembles an answer's text and complete tool calls from its events or its whole body. */
export interface AnswerInspector {
  /** Reads one event's data; true when it carries part of a tool call. */
  event(name: string | null, json: unknown): boolean;
  body(json: unknown): void;
  /** The answer's text so far (the first 256 KiB). */
  text(): string;
  toolCalls(): { name: string; arguments: unknown }[];
}

/** How one endpoint's answers carry text and tool calls. */
export interface AnswerCodec {
  restorer(mapping: ReadonlyMap<string, string>): AnswerRestorer;
  inspector(): AnswerInspector;
}

/** Text kept for response rules and approval summaries. */
const MAX_ANSWER_TEXT = 256 * 1024;

/** Appends to a bounded text. */
export class TextBuffer {
  private value = '';
  push(text: string): void {
    if (text.length > 0 && this.value.length < MAX_ANSWER_TEXT) this.value += text.slice(0, MAX_ANSWER_TEXT - this.value.length);
  }
  toString(): string {
    return this.value;
  }
}

/** Tool calls being assembled from deltas, in the order they started. */
export class CallAssembler {
  private readonly calls = new Map<string, { name: string; args: string; value: unknown }>();

  /** Starts (or renames) call `key`. */
  start(key: string, name: string): void {
    const call = this.calls.get(key);
    if (!call) this.calls.set(key, { name, args: '', value: undefined });
    else if (name) call.name = name;
  }

  /** Adds an arguments fragment (JSON text). */
  append(key: string, fragment: string): void {
    const call = this.calls.get(key);
    if (call) call.args += fragment;
    else this.calls.set(key, { name: '', args: fragment, value: undefined });
  }

  /** Sets a call's complete arguments (JSON text or an object). */
  complete(key: string, name: string, args: unknown): void {
    this.calls.set(key, {
      name: name || this.calls.get(key)?.name || '',
      args: typeof args === 'string' ? args : '',
      value: typeof args === 'string' ? undefined : args,
    });
  }

  get size(): number {
    return this.calls.size;
  }

  list(): ToolCall[] {
    return [...this.calls.values()].map((c) => ({ name: c.name, arguments: c.value !== undefined ? c.value : c.args === '' ? {} : c.args }));
  }
}

/** Answers without text or tool calls (embeddings): nothing to restore or assemble. */
export const NO_TEXT_ANSWERS: AnswerCodec = {
  restorer: () => ({ event: () => null, end: () => [], body: (json) => json }),
  inspector: () => ({ event: () => false, body: () => undefined, text: () => '', toolCalls: () => [] }),
};
