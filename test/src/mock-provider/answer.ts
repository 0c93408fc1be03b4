import type { MockError, ResolvedBehaviour } from './behaviour.js';
import type { StreamPlan } from './stream.js';

/** What a route handler decided to send: a JSON body or a stream plan. */
export type MockAnswer = { readonly kind: 'json'; readonly status: number; readonly body: unknown } | { readonly kind: 'stream'; readonly plan: StreamPlan };

/** The parts of a request a route handler looks at. */
export interface MockCall {
  readonly body: Record<string, unknown>;
  readonly model: string;
  readonly behaviour: ResolvedBehaviour;
  readonly query: URLSearchParams;
}

let counter = 0;

/** A short unique id with the provider's prefix (`chatcmpl-`, `msg_`, …). */
export function mockId(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}`;
}

/** The message an error behaviour carries, or a default that names the status. */
export function errorMessage(error: MockError): string {
  return error.message ?? `Mock provider failure with status ${error.status}.`;
}
