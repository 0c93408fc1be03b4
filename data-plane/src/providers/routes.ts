import type { ApiFamily } from '@keyward/shared';
import { GatewayError } from '../errors.js';
import type { Operation, ProviderApi } from './types.js';

/** An operation found for a request, with the model its path names (Gemini), if any. */
export interface ResolvedOperation {
  readonly op: Operation;
  readonly pathModel: string | null;
}

/** A proxied path and how a request on it finds its operation. */
export interface ProxyRoute {
  readonly family: ApiFamily;
  /** The family's API, whose error shape answers a request before its operation is known. */
  readonly api: ProviderApi;
  /** The uWS pattern (`POST`). */
  readonly pattern: string;
  /** Route parameters to copy out of the uWS request. */
  readonly params: number;
  resolve(incoming: { readonly params: readonly string[]; readonly path: string }): ResolvedOperation | GatewayError;
}

/**
 * The routes that serve `operations`, built once: a pattern of its own resolves to its
 * operation without allocating; operations sharing a `{model}:{method}` pattern are told apart
 * by the method. Throws when two operations claim the same route.
 */
export function proxyRoutes(operations: readonly Operation[]): ProxyRoute[] {
  const byPattern = new Map<string, Operation[]>();
  for (const op of operations) {
    const group = byPattern.get(op.route.pattern);
    if (group) group.push(op);
    else byPattern.set(op.route.pattern, [op]);
  }
  return [...byPattern].map(([pattern, ops]) => {
    const [first] = ops;
    if (ops.some((op) => op.family !== first.family)) throw new Error(`Operations of several API families claim ${pattern}.`);
    if (first.route.modelMethod === null) {
      if (ops.length > 1) throw new Error(`${ops.length} operations claim ${pattern}.`);
      const resolved: ResolvedOperation = Object.freeze({ op: first, pathModel: null });
      return { family: first.family, api: first.api, pattern, params: 0, resolve: () => resolved };
    }
    const byMethod = new Map<string, Operation>();
    for (const op of ops) {
      if (op.route.modelMethod === null || byMethod.has(op.route.modelMethod))
        throw new Error(`Operations on ${pattern} must each name a method of their own.`);
      byMethod.set(op.route.modelMethod, op);
    }
    return {
      family: first.family,
      api: first.api,
      pattern,
      params: 1,
      resolve(incoming) {
        const parsed = parseModelMethod(incoming.params[0] ?? '');
        const op = parsed && byMethod.get(parsed.method);
        if (!parsed || !op) return new GatewayError('not_found', 404, `Unknown ${first.api.name} method in ${incoming.path}.`);
        return { op, pathModel: parsed.model };
      },
    };
  });
}

/**
 * Splits the `{model}:{method}` path segment (`gemini-2.5-flash:generateContent`); the model
 * may itself be written `models/…` by hand-made requests.
 */
export function parseModelMethod(segment: string): { model: string; method: string } | null {
  const decoded = safeDecode(segment);
  const colon = decoded.lastIndexOf(':');
  if (colon <= 0) return null;
  return { model: decoded.slice(0, colon).replace(/^models\//, ''), method: decoded.slice(colon + 1) };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
