import { estimateTokens } from '@keyward/shared';

/** The last estimate made for a request body, with what it was made from. */
interface Estimate {
  readonly text: string;
  readonly model: string;
  readonly tokens: number;
}

/**
 * Estimates per parsed request body. Both the limits step (to reserve the most a request can
 * cost) and the policy step (for token and cost conditions) estimate the same prompt; keyed by
 * the body object, the second one is free. A body is parsed afresh for every request, so this
 * never carries an estimate from one request to another, and entries go with their body.
 */
const estimates = new WeakMap<object, Estimate>();

/**
 * `estimateTokens(text, model)`, computed once per request body: a second call for the same
 * body with the same text and model returns the first result.
 */
export function promptTokens(body: object, text: string, model: string): number {
  const known = estimates.get(body);
  if (known && known.model === model && known.text === text) return known.tokens;
  const tokens = estimateTokens(text, model);
  estimates.set(body, { text, model, tokens });
  return tokens;
}
