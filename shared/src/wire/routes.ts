/**
 * Routes and roles as the config carries them, and the one validator of a route's document,
 * run by the control plane when a route is saved and by nodes on every config message.
 *
 * A route maps what an agent asks for (a model name, a glob, or an alias such as `fast`) to
 * targets: a credential plus the provider model to call there, or another route's alias. A
 * role (`model: "role:reviewer"`) prepends a system prompt, sets default parameters and sends
 * the request through a route.
 */
import { validatePolicyDocument } from '../policy/validate.js';
import type { ApiFamily, ProviderKind, ScopeRef } from './config.js';
import { arrayOf, child, FieldError, integerIn, nonEmptyString, nullable, object, oneOf, string, uuid } from './field-checks.js';

/** How a route orders its targets for one request. */
export const ROUTE_STRATEGIES = ['fallback', 'weighted', 'least_outstanding', 'lowest_latency', 'lowest_cost'] as const;
export type RouteStrategy = (typeof ROUTE_STRATEGIES)[number];

/** A credential and the provider model to call there, with how long to wait and how often to retry. */
export interface RouteCredentialTarget {
  readonly credentialId: string;
  /** The provider's model name sent upstream (the agent's own name is replaced by it). */
  readonly model: string;
  /** Relative share under the `weighted` strategy (1–1000). */
  readonly weight: number;
  /** How long to wait for the provider's status line before the attempt counts as timed out. */
  readonly timeoutMs: number;
  /** Further attempts on this target after a retryable failure, before falling back to the next. */
  readonly maxRetries: number;
  /** The model's context window in tokens, when known: a larger request skips this target. */
  readonly contextTokens: number | null;
}

/** Another route, by one of its aliases: its targets take this place in the list. */
export interface RouteAliasTarget {
  readonly alias: string;
}

export type RouteTarget = RouteCredentialTarget | RouteAliasTarget;

/** A policy-language condition choosing a strategy; the first rule whose condition holds wins. */
export interface RouteRule {
  /** A `Condition` of the policy language (validated by it). */
  readonly when: unknown;
  readonly strategy: RouteStrategy;
}

/** When a target's circuit opens, and for how long. */
export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  readonly consecutiveFailures: number;
  /** An error rate (percent) over the window that opens the circuit, once `minRequests` were seen. */
  readonly errorRatePercent: number;
  readonly windowSeconds: number;
  readonly minRequests: number;
  /** How long an open circuit refuses before letting one probe through (half-open). */
  readonly openSeconds: number;
}

/** The opt-in exact-match response cache of a route or a key: identical requests are answered from it for `ttlSeconds`. */
export interface CacheSettings {
  readonly ttlSeconds: number;
}

/** Longest a cached answer is kept: seven days. */
export const MAX_CACHE_TTL_SECONDS = 7 * 24 * 3600;

/** What people write and version: everything about a route but where it is bound. */
export interface RouteDocument {
  readonly name: string;
  /** Model names, globs (`gpt-4o*`) or aliases (`fast`, `smart`, `cheap`) this route answers. */
  readonly match: readonly string[];
  readonly strategy: RouteStrategy;
  readonly rules: readonly RouteRule[];
  /** For `lowest_cost`: only targets whose observed p50 latency is at most this (null: any). */
  readonly maxLatencyMs: number | null;
  readonly breaker: BreakerSettings;
  readonly targets: readonly RouteTarget[];
  /** The response cache of requests through this route; null or absent (documents saved before it existed): off. */
  readonly cache?: CacheSettings | null;
}

/** One route's current version as nodes enforce it. */
export interface RouteConfig extends RouteDocument {
  readonly id: string;
  readonly orgId: string;
  readonly version: number;
  /** Keys, teams or the organization the route is bound to; a key's own binding wins, then its team's, then the organization's. */
  readonly attachments: readonly ScopeRef[];
}

/** A named role: `model: "role:<name>"` prepends its system prompt, fills its defaults and uses its route. */
export interface RoleConfig {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly systemPrompt: string;
  /** Used when the request sets none. */
  readonly temperature: number | null;
  readonly maxTokens: number | null;
  readonly routeId: string;
}

/** How an agent names a role in `model`. */
export const ROLE_PREFIX = 'role:';
/** Role names and aliases: lower-case letters, digits, `-`, `_`, `.` (a glob in `match` may add `*` and `?`). */
export const ROUTE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MATCH_ENTRY = /^[A-Za-z0-9*?][A-Za-z0-9._:/*?@-]{0,199}$/;
export const MAX_ROUTE_TARGETS = 20;
const MAX_MATCH = 50;
const MAX_RULES = 20;
export const MAX_SYSTEM_PROMPT = 20_000;

/** The API family a provider's credentials speak (an OpenAI-compatible host speaks OpenAI's). */
export function providerFamily(provider: ProviderKind): ApiFamily {
  return provider === 'openai_compatible' ? 'openai' : provider;
}

/** True for a target that names another route. */
export function isAliasTarget(target: RouteTarget): target is RouteAliasTarget {
  return (target as RouteAliasTarget).alias !== undefined;
}

/** Checks a route document where it sits in a message (`path`), throwing `FieldError` at the first problem. */
export function checkRouteDocument(value: unknown, path: string): RouteDocument {
  const doc = object(value, path);
  const name = nonEmptyString(doc.name, child(path, 'name'));
  if (name.length > 100) throw new FieldError(child(path, 'name'), 'must be at most 100 characters');
  const match = arrayOf(doc.match, child(path, 'match'), (v, p) => matchEntry(v, p));
  if (match.length === 0 || match.length > MAX_MATCH) throw new FieldError(child(path, 'match'), `must list 1 to ${MAX_MATCH} model names, globs or aliases`);
  oneOf(doc.strategy, child(path, 'strategy'), ROUTE_STRATEGIES);
  const rules = arrayOf(doc.rules, child(path, 'rules'), routeRule);
  if (rules.length > MAX_RULES) throw new FieldError(child(path, 'rules'), `must have at most ${MAX_RULES} rules`);
  nullable(doc.maxLatencyMs, child(path, 'maxLatencyMs'), (v, p) => integerIn(v, p, 1, 600_000));
  breaker(doc.breaker, child(path, 'breaker'));
  const targets = arrayOf(doc.targets, child(path, 'targets'), routeTarget);
  if (targets.length === 0 || targets.length > MAX_ROUTE_TARGETS) throw new FieldError(child(path, 'targets'), `must list 1 to ${MAX_ROUTE_TARGETS} targets`);
  checkCacheSettings(doc.cache, child(path, 'cache'));
  return doc as unknown as RouteDocument;
}

/** Checks a route's or key's `cache` setting: absent or null (off), or `{ ttlSeconds }` from 1 s to 7 days. */
export function checkCacheSettings(value: unknown, path: string): CacheSettings | null {
  if (value === undefined || value === null) return null;
  const cache = object(value, path);
  integerIn(cache.ttlSeconds, child(path, 'ttlSeconds'), 1, MAX_CACHE_TTL_SECONDS);
  return cache as unknown as CacheSettings;
}

/** Checks a role where it sits in a message. */
export function checkRoleFields(role: Record<string, unknown>, path: string): void {
  const name = nonEmptyString(role.name, child(path, 'name'));
  if (!ROUTE_NAME.test(name)) throw new FieldError(child(path, 'name'), 'must be lower-case letters, digits, ".", "-" or "_" (at most 64)');
  const prompt = string(role.systemPrompt, child(path, 'systemPrompt'));
  if (prompt.length > MAX_SYSTEM_PROMPT) throw new FieldError(child(path, 'systemPrompt'), `must be at most ${MAX_SYSTEM_PROMPT} characters`);
  nullable(role.temperature, child(path, 'temperature'), (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2) throw new FieldError(p, 'must be a number from 0 to 2');
    return v;
  });
  nullable(role.maxTokens, child(path, 'maxTokens'), (v, p) => integerIn(v, p, 1, 1_000_000));
  uuid(role.routeId, child(path, 'routeId'));
}

function matchEntry(value: unknown, path: string): string {
  const entry = nonEmptyString(value, path);
  if (entry.startsWith(ROLE_PREFIX)) throw new FieldError(path, 'must not start with "role:" (roles name their route themselves)');
  if (!MATCH_ENTRY.test(entry)) throw new FieldError(path, 'must be a model name, a glob or an alias (letters, digits, . _ - : / @ * ?)');
  return entry;
}

function routeRule(value: unknown, path: string): RouteRule {
  const rule = object(value, path);
  oneOf(rule.strategy, child(path, 'strategy'), ROUTE_STRATEGIES);
  if (rule.when === undefined) throw new FieldError(child(path, 'when'), 'is required');
  const checked = validatePolicyDocument(conditionProbe([rule.when]));
  if (!checked.ok) {
    // The policy language names the probe's rule and its `when`; the route's own path says where instead.
    const reason = (checked.errors[0]?.message ?? 'unknown error').replace(/^rule "\d+" \(#\d+\): /, '').replace(/"when\.?/, '"');
    throw new FieldError(child(path, 'when'), `is not a valid condition: ${reason}`);
  }
  return rule as unknown as RouteRule;
}

/**
 * Strategy conditions as a policy document (one `log` rule per condition, ids `0`, `1`, …), so
 * the policy language validates and evaluates them: one expression language, not two.
 */
export function conditionProbe(conditions: readonly unknown[]): unknown {
  return { name: 'route strategy rules', rules: conditions.map((when, i) => ({ id: String(i), on: 'request', when, action: { type: 'log', tags: [] } })) };
}

function breaker(value: unknown, path: string): BreakerSettings {
  const b = object(value, path);
  integerIn(b.consecutiveFailures, child(path, 'consecutiveFailures'), 1, 1000);
  integerIn(b.errorRatePercent, child(path, 'errorRatePercent'), 1, 100);
  integerIn(b.windowSeconds, child(path, 'windowSeconds'), 1, 3600);
  integerIn(b.minRequests, child(path, 'minRequests'), 1, 100_000);
  integerIn(b.openSeconds, child(path, 'openSeconds'), 1, 3600);
  return b as unknown as BreakerSettings;
}

function routeTarget(value: unknown, path: string): RouteTarget {
  const target = object(value, path);
  if (target.alias !== undefined) {
    const alias = nonEmptyString(target.alias, child(path, 'alias'));
    if (!ROUTE_NAME.test(alias)) throw new FieldError(child(path, 'alias'), 'must be an alias: lower-case letters, digits, ".", "-" or "_"');
    if (target.credentialId !== undefined || target.model !== undefined)
      throw new FieldError(path, 'must name either an alias or a credential and model, not both');
    return target as unknown as RouteAliasTarget;
  }
  uuid(target.credentialId, child(path, 'credentialId'));
  const model = nonEmptyString(target.model, child(path, 'model'));
  if (model.length > 200 || /[*?]/.test(model))
    throw new FieldError(child(path, 'model'), 'must be one provider model name (no wildcards, at most 200 characters)');
  integerIn(target.weight, child(path, 'weight'), 1, 1000);
  integerIn(target.timeoutMs, child(path, 'timeoutMs'), 100, 600_000);
  integerIn(target.maxRetries, child(path, 'maxRetries'), 0, 5);
  nullable(target.contextTokens, child(path, 'contextTokens'), (v, p) => integerIn(v, p, 1, 100_000_000));
  return target as unknown as RouteCredentialTarget;
}
