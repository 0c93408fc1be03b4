import { createHash } from 'node:crypto';

/** What makes two requests the same question: everything that reaches the provider and shapes the answer. */
export interface CacheKeyInput {
  readonly orgId: string;
  /** The route that chose the targets (null: the key's own credentials). */
  readonly routeId: string | null;
  readonly endpoint: string;
  /** The model the agent asked for (a route may call another). */
  readonly requested: string;
  /** Whether the agent asked for an event stream: a streamed answer is only replayed to a stream, a whole one to a whole one. */
  readonly sse: boolean;
  /** The model in the path (Gemini), if any. */
  readonly pathModel: string | null;
  /** The body as it goes upstream: after role defaults, policies and redaction. */
  readonly body: Record<string, unknown>;
}

/**
 * The cache key of a request: the SHA-256 of its organization, route, endpoint, asked-for model,
 * stream mode and upstream body, as JSON with object keys sorted (so the order an agent writes
 * its fields in does not matter). The organization is part of the hashed text, so two
 * organizations never share an entry.
 */
export function responseCacheKey(input: CacheKeyInput): string {
  const text = JSON.stringify([input.orgId, input.routeId, input.endpoint, input.requested, input.sse, input.pathModel, input.body], sortKeys);
  return createHash('sha256').update(text).digest('hex');
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const name of Object.keys(value).sort()) sorted[name] = (value as Record<string, unknown>)[name];
  return sorted;
}
