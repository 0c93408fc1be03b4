import type { Decision } from '@keyward/shared';
import type { GatewayError } from '../errors.js';
import type { SseEvent } from '../streaming/sse-parser.js';

/** The answer must end here: the agent gets `error` in its family's error shape. */
export interface FilterStop {
  readonly error: GatewayError;
  readonly decision: Decision;
}

/** What a filter lets through at one step of an SSE answer. */
export interface FilterStep {
  /** Events to send now, in order (an event's `raw` bytes are what goes out). */
  readonly send: readonly SseEvent[];
  readonly stop?: FilterStop;
  /** A new decision for the request's event, e.g. `approved` once a held tool call was approved. */
  readonly decision?: Decision;
}

/** What a filter made of a whole JSON answer. */
export interface BodyStep {
  readonly json: unknown;
  readonly stop?: FilterStop;
  readonly decision?: Decision;
}

/**
 * Rewrites or inspects an answer on its way to the agent (restoring redacted values, holding
 * back tool calls until a policy has seen them). Enforcement steps install filters in
 * `EnforcementContext.responseFilters`; the relay applies them only to successful answers.
 */
export interface ResponseFilter {
  /** One event of an SSE answer, in upstream order. */
  event(event: SseEvent): FilterStep;
  /** The SSE answer ended normally: what is left. May wait (e.g. for an approval). */
  end(): Promise<FilterStep>;
  /** A whole JSON answer (not SSE). May wait. */
  body(json: unknown): Promise<BodyStep>;
  /** The answer failed or the agent left: give up anything pending (an approval wait). */
  abandon(): void;
}

/** Runs filters in order, each one's output feeding the next; a stop ends the chain there. */
export function chainFilters(filters: readonly ResponseFilter[]): ResponseFilter | null {
  if (filters.length === 0) return null;
  if (filters.length === 1) return filters[0];
  const feed = (from: number, events: readonly SseEvent[], into: MutableStep): void => {
    for (const event of events) {
      if (into.stop) return;
      if (from === filters.length) {
        into.send.push(event);
        continue;
      }
      merge(into, filters[from].event(event), from + 1, feed);
    }
  };
  return {
    event(event) {
      const step: MutableStep = { send: [] };
      feed(0, [event], step);
      return step;
    },
    async end() {
      const step: MutableStep = { send: [] };
      for (let i = 0; i < filters.length && !step.stop; i++) merge(step, await filters[i].end(), i + 1, feed);
      return step;
    },
    async body(json) {
      let current: BodyStep = { json };
      let decision: Decision | undefined;
      for (const filter of filters) {
        current = await filter.body(current.json);
        decision = current.decision ?? decision;
        if (current.stop) break;
      }
      return { ...current, decision };
    },
    abandon() {
      for (const filter of filters) filter.abandon();
    },
  };
}

interface MutableStep {
  send: SseEvent[];
  stop?: FilterStop;
  decision?: Decision;
}

function merge(into: MutableStep, step: FilterStep, next: number, feed: (from: number, events: readonly SseEvent[], into: MutableStep) => void): void {
  if (step.decision) into.decision = step.decision;
  feed(next, step.send, into);
  if (step.stop && !into.stop) into.stop = step.stop;
}

/** An SSE event built by a filter (a re-serialized or synthesized one). */
export function sseEvent(data: string, event: string | null = null): SseEvent {
  return { raw: Buffer.from(`${event === null ? '' : `event: ${event}\n`}data: ${data}\n\n`), event, data: Buffer.from(data) };
}
