/**
 * How a request finds its route and the route's targets, as pure functions over the config:
 * nodes run them on every request (through their route table), and the control plane runs the
 * same ones to explain a sample request in the console ("test this route").
 */
import { compilePolicies, type CompiledPolicySet } from '../policy/compile.js';
import {
  conditionProbe,
  isAliasTarget,
  ROLE_PREFIX,
  type RouteConfig,
  type RouteCredentialTarget,
  type RouteDocument,
  type RouteStrategy,
} from '../wire/routes.js';
import { globMatch, isGlob } from './globs.js';

/** A route's `match` entries indexed for lookup: exact names (and aliases) lower-cased, and globs. */
export interface RouteNames<R> {
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly string[];
  readonly route: R;
}

/** Where the route that answered was bound, from the most specific: the key's own, its team's, its organization's. */
export type BindingLevel = 'key' | 'team' | 'org';

/** The route that answers a request and the binding that brought it. */
export interface BoundMatch<R> {
  readonly names: RouteNames<R>;
  readonly level: BindingLevel;
}

/** The key fields binding precedence reads. */
export interface BindingKey {
  readonly id: string;
  readonly teamId: string | null;
  readonly orgId: string;
}

/** Indexes a route's `match` entries. */
export function routeNamesOf<R>(match: readonly string[], route: R): RouteNames<R> {
  return { exact: new Set(match.filter((m) => !isGlob(m)).map((m) => m.toLowerCase())), globs: match.filter(isGlob), route };
}

/** The first route of a scope's list naming the model: exact names and aliases first, then globs. */
function matchInScope<R>(list: readonly RouteNames<R>[] | undefined, wanted: string, requested: string): RouteNames<R> | null {
  if (list === undefined) return null;
  for (const m of list) if (m.exact.has(wanted)) return m;
  for (const m of list) for (const glob of m.globs) if (globMatch(glob, requested)) return m;
  return null;
}

/**
 * The route for a model name: the first route bound to the key that names it, then to its team,
 * then to its organization (exact names and aliases before globs within each). Null when none does.
 */
export function resolveBinding<R>(bound: ReadonlyMap<string, readonly RouteNames<R>[]>, key: BindingKey, requested: string): BoundMatch<R> | null {
  const wanted = requested.toLowerCase();
  let names = matchInScope(bound.get(key.id), wanted, requested);
  if (names) return { names, level: 'key' };
  if (key.teamId !== null && (names = matchInScope(bound.get(key.teamId), wanted, requested))) return { names, level: 'team' };
  names = matchInScope(bound.get(key.orgId), wanted, requested);
  return names ? { names, level: 'org' } : null;
}

/** The `match` entry that answered a model name (an exact name or alias, else the first glob that matches). */
export function matchedEntry(match: readonly string[], requested: string): string | null {
  const wanted = requested.toLowerCase();
  return match.find((m) => !isGlob(m) && m.toLowerCase() === wanted) ?? match.find((m) => isGlob(m) && globMatch(m, requested)) ?? null;
}

/** The role a model name asks for (`role:reviewer` → `reviewer`), or null when it names none. */
export function roleNameOf(requested: string): string | null {
  return requested.startsWith(ROLE_PREFIX) ? requested.slice(ROLE_PREFIX.length) : null;
}

/** Routes by `<organization id>:<lower-cased match entry>`, for alias targets. */
export function aliasIndex(routes: Iterable<RouteConfig>): Map<string, RouteConfig> {
  const byAlias = new Map<string, RouteConfig>();
  for (const route of routes) for (const name of route.match) byAlias.set(`${route.orgId}:${name.toLowerCase()}`, route);
  return byAlias;
}

/**
 * A route's credential targets in order, alias targets replaced by their route's (a cycle,
 * refused at save time, ends the walk). `make` turns a credential target into the caller's
 * form, or null to leave it out (its credential is gone).
 */
export function expandTargets<T>(
  route: RouteConfig,
  byAlias: ReadonlyMap<string, RouteConfig>,
  make: (target: RouteCredentialTarget, route: RouteConfig) => T | null,
  seen: Set<string> = new Set(),
): T[] {
  if (seen.has(route.id)) return [];
  seen.add(route.id);
  const out: T[] = [];
  for (const target of route.targets) {
    if (isAliasTarget(target)) {
      const next = byAlias.get(`${route.orgId}:${target.alias.toLowerCase()}`);
      if (next) out.push(...expandTargets(next, byAlias, make, seen));
      continue;
    }
    const made = make(target, route);
    if (made !== null) out.push(made);
  }
  return out;
}

/** A route's strategy conditions compiled by the policy language (each rule's id is its index), or null when it has none. */
export function compileRouteRules(route: RouteConfig, timeZone: string): CompiledPolicySet | null {
  if (route.rules.length === 0) return null;
  return compilePolicies([
    { id: route.id, version: route.version, scope: 'org', document: conditionProbe(route.rules.map((r) => r.when)), defaultTimeZone: timeZone },
  ]);
}

/** The strategy for a request: the first rule whose condition holds, else the route's own. */
export function strategyOf(route: Pick<RouteDocument, 'strategy' | 'rules'>, matchedRuleIds: readonly string[]): RouteStrategy {
  const first = matchedRuleIds[0];
  return first === undefined ? route.strategy : (route.rules[Number(first)]?.strategy ?? route.strategy);
}

/** The targets a request of about `tokens` (prompt and answer) fits: those without a known context window or with a large enough one. */
export function targetsFitting<T extends { readonly contextTokens: number | null }>(targets: readonly T[], tokens: number): T[] {
  return targets.filter((t) => t.contextTokens === null || t.contextTokens >= tokens);
}
