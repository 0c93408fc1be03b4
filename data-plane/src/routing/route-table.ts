import {
  aliasIndex,
  compileRouteRules,
  expandTargets,
  findPrice,
  providerFamily,
  resolveBinding,
  roleNameOf,
  routeNamesOf,
  type BreakerSettings,
  type CompiledPolicySet,
  type CredentialConfig,
  type KeyConfig,
  type ModelPriceEntry,
  type RoleConfig,
  type RouteConfig,
  type RouteCredentialTarget,
  type RouteNames,
} from '@keyward/shared';
import { fleetNow } from '../clock/fleet-clock.js';
import type { ConfigView } from '../config/view.js';
import { speaks, type Operation } from '../providers/index.js';
import { translatorToFamily } from '../translate/index.js';

/** One credential target of a route, aliases expanded, with what the attempt loop and strategies need. */
export interface RouteTarget {
  /** Stats and circuit breakers are kept per credential and model: `<credential id>/<model>`. */
  readonly id: string;
  readonly credential: CredentialConfig;
  readonly model: string;
  readonly weight: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly contextTokens: number | null;
  readonly breaker: BreakerSettings;
}

/** A route ready to serve requests. */
export interface CompiledRoute {
  readonly config: RouteConfig;
  readonly targets: readonly RouteTarget[];
  /** The strategy conditions, compiled by the policy language (null when the route has none). */
  readonly rules: CompiledPolicySet | null;
  /** The targets each operation can call (`targetsFor`), computed on first use. */
  readonly byOperation: Map<Operation, readonly RouteTarget[]>;
  /** The target model with the highest price per token (the first target's when none is priced): what budgets reserve for. */
  readonly reserveModel: string;
}

/** What a request resolved to: its route and, for `role:<name>`, the role. */
export interface RouteMatch {
  readonly route: CompiledRoute;
  readonly role: RoleConfig | null;
}

/**
 * The routes and roles of one config version, indexed for the request path: bound routes by
 * scope id (key, team, organization), each with its names lower-cased and its alias targets
 * replaced by the named route's targets; roles by organization and name. Built once per view
 * (`routeTable`), so resolving a request is a few map lookups.
 */
export class RouteTable {
  private readonly byScope = new Map<string, RouteNames<CompiledRoute>[]>();
  private readonly roles = new Map<string, RoleConfig>();
  private readonly compiled = new Map<string, CompiledRoute>();

  constructor(view: ConfigView) {
    const byAlias = aliasIndex(Object.values(view.routes));
    for (const route of Object.values(view.routes)) {
      const org = view.org(route.orgId);
      const targets = expandTargets(route, byAlias, (target, from) => targetOf(view, target, from));
      const compiled: CompiledRoute = {
        config: route,
        targets,
        byOperation: new Map(),
        reserveModel: priciest(targets, org?.customModels ?? []),
        rules: compileRouteRules(route, org?.timeZone ?? 'UTC'),
      };
      this.compiled.set(route.id, compiled);
      const matcher = routeNamesOf(route.match, compiled);
      for (const scope of route.attachments) {
        const list = this.byScope.get(scope.id);
        if (list) list.push(matcher);
        else this.byScope.set(scope.id, [matcher]);
      }
    }
    for (const role of Object.values(view.roles)) this.roles.set(`${role.orgId}:${role.name}`, role);
  }

  /**
   * The route for what the key asked for: a role by name (`role:reviewer`), or the first route
   * bound to the key, then to its team, then to its organization, that names the model (exact
   * names and aliases before globs). Null when none does: the key routes as it would without
   * routes. A role that does not exist is `undefined`, so the caller can say so.
   */
  resolve(key: KeyConfig, requested: string): RouteMatch | null | undefined {
    const roleName = roleNameOf(requested);
    if (roleName !== null) {
      const role = this.roles.get(`${key.orgId}:${roleName}`);
      const route = role && this.compiled.get(role.routeId);
      return role && route ? { route, role } : undefined;
    }
    const found = resolveBinding(this.byScope, key, requested);
    return found && { route: found.names.route, role: null };
  }
}

/**
 * The target model with the highest price per token at the fleet's time (prices change on a date
 * or by the hour; the first target's when none is priced): what budgets reserve for a route.
 */
export function priciest(targets: readonly RouteTarget[], customModels: readonly ModelPriceEntry[]): string {
  let best = targets[0]?.model ?? '';
  let bestPrice = -1;
  const now = new Date(fleetNow());
  for (const t of targets) {
    const price = findPrice(t.model, customModels, now);
    const perToken = price ? price.inputPerMTok + price.outputPerMTok : -1;
    if (perToken > bestPrice) {
      best = t.model;
      bestPrice = perToken;
    }
  }
  return best;
}

/** A route target on this node: its credential (null when gone from the config), with the route's breaker settings. */
function targetOf(view: ConfigView, target: RouteCredentialTarget, route: RouteConfig): RouteTarget | null {
  const credential = view.credential(target.credentialId);
  if (!credential || credential.orgId !== route.orgId) return null;
  return {
    id: `${credential.id}/${target.model}`,
    credential,
    model: target.model,
    weight: target.weight,
    timeoutMs: target.timeoutMs,
    maxRetries: target.maxRetries,
    contextTokens: target.contextTokens,
    breaker: route.breaker,
  };
}

/**
 * The targets an agent's operation can call: those whose credential speaks its API family, and
 * those of another family a translator carries the operation to (`translatorToFamily`); the
 * rest (e.g. an Anthropic target for a Gemini agent) are skipped.
 */
export function targetsFor(route: CompiledRoute, op: Operation): readonly RouteTarget[] {
  let targets = route.byOperation.get(op);
  if (targets === undefined) {
    const usable = (t: RouteTarget) => speaks(t.credential.provider, op.family) || translatorToFamily(op, providerFamily(t.credential.provider)) !== undefined;
    targets = route.targets.every(usable) ? route.targets : route.targets.filter(usable);
    route.byOperation.set(op, targets);
  }
  return targets;
}

const tables = new WeakMap<ConfigView, RouteTable>();

/** The route table of a config version, built on first use. */
export function routeTable(view: ConfigView): RouteTable {
  let table = tables.get(view);
  if (!table) tables.set(view, (table = new RouteTable(view)));
  return table;
}
