import { orderTargets, ROLE_PREFIX, strategyOf, targetsFitting, type KeyConfig, type OrgConfig, type RoleConfig } from '@keyward/shared';
import type { ConfigView } from '../config/view.js';
import { GatewayError } from '../errors.js';
import { maxCostOf } from '../estimate/max-cost.js';
import { buildRequestContext } from '../policy/request-context.js';
import { modelAllowed, routeCandidates } from '../routing/route.js';
import { priciest, routeTable, targetsFor, type CompiledRoute, type RouteTarget } from '../routing/route-table.js';
import type { Operation } from '../providers/index.js';
import type { EnforcementContext } from '../steps/contract.js';
import type { AttemptPlan } from './attempts.js';
import type { Gateway } from './gateway.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Where a request may go, known before enforcement: a route's targets, or (no route) the key's credentials. */
export type RequestRoute =
  | {
      readonly kind: 'route';
      readonly route: CompiledRoute;
      readonly role: RoleConfig | null;
      readonly targets: readonly RouteTarget[];
      readonly model: string;
    }
  | { readonly kind: 'direct'; readonly plan: AttemptPlan; readonly model: string };

/**
 * Resolves what the agent asked for: through a role (`role:<name>`) or a route bound to the key,
 * its team or its organization, to the targets this endpoint can call and the key may use
 * (its allow-list applies to the provider models a route calls); without a route, to the key's
 * credentials that serve the model, as before routes. `model` is the one budgets reserve for:
 * the asked-for model, or for a route its priciest target, so a reservation never falls short
 * of what any fallback would cost.
 */
export function resolveRoute(gw: Gateway, view: ConfigView, key: KeyConfig, org: OrgConfig, op: Operation, requested: string): RequestRoute {
  const match = routeTable(view).resolve(key, requested);
  if (match === undefined) throw new GatewayError('no_route', 404, `No role named "${requested.slice(ROLE_PREFIX.length)}" exists in this organization.`);
  if (match === null) {
    if (!modelAllowed(key, requested)) throw new GatewayError('model_not_allowed', 403, `This Keyward key is not allowed to use the model "${requested}".`);
    const candidates = routeCandidates(view, key, op.family, requested);
    if (candidates.length === 0) throw new GatewayError('no_route', 404, `No provider credential serves the model "${requested}" for this key.`);
    const targets = candidates.map((credential) => ({
      id: `${credential.id}/${requested}`,
      credential,
      model: requested,
      timeoutMs: gw.config.upstreamFirstByteTimeoutMs,
      maxRetries: 0,
      breaker: null,
    }));
    return { kind: 'direct', plan: { targets, routed: false }, model: requested };
  }
  const forFamily = targetsFor(match.route, op);
  // The allow-list applies to the provider models the route calls.
  const targets =
    key.allowedModels.length === 0 || forFamily.every((t) => modelAllowed(key, t.model)) ? forFamily : forFamily.filter((t) => modelAllowed(key, t.model));
  if (targets.length === 0) {
    const reason = match.route.targets.length === 0 ? 'has no usable target' : 'has no target this key may use through this API';
    throw new GatewayError('no_route', 404, `The route "${match.route.config.name}" for "${requested}" ${reason}.`);
  }
  return {
    kind: 'route',
    route: match.route,
    role: match.role,
    targets,
    model: targets === forFamily && forFamily === match.route.targets ? match.route.reserveModel : priciest(targets, org.customModels),
  };
}

/**
 * The order to try a route's targets for this request: the strategy its first matching rule
 * names (conditions of the policy language, on the request as policies see it) or its own;
 * targets whose context window the request would not fit are left out.
 */
export function planAttempts(gw: Gateway, resolved: RequestRoute, ctx: EnforcementContext): AttemptPlan {
  if (resolved.kind === 'direct') return resolved.plan;
  const { route } = resolved;
  let targets = resolved.targets;
  if (targets.some((t) => t.contextTokens !== null)) {
    const tokens = maxCostOf(ctx.operation, ctx.body, resolved.model, ctx.org, ctx.translatedOutputCap).tokens;
    targets = targetsFitting(targets, tokens);
    if (targets.length === 0) {
      throw new GatewayError(
        'invalid_request',
        400,
        `The request (about ${tokens} tokens with its answer) does not fit the context window of any target of the route "${route.config.name}".`,
      );
    }
  }
  const matched =
    route.rules === null ? [] : route.rules.evaluateRequest(buildRequestContext(ctx, route.rules.needs, new Date(fleetNow()))).matches.map((m) => m.ruleId);
  const strategy = strategyOf(route.config, matched);
  const ordered = orderTargets(targets, {
    strategy,
    board: gw.health,
    costOf: (t) => (strategy === 'lowest_cost' ? costFor(ctx, t.model) : 0),
    maxLatencyMs: route.config.maxLatencyMs,
    now: fleetNow(),
    random: Math.random,
  });
  return { routed: true, targets: ordered };
}

/** What the request would cost at a model; unpriced models sort last. */
function costFor(ctx: EnforcementContext, model: string): number {
  const cost = maxCostOf(ctx.operation, ctx.body, model, ctx.org, ctx.translatedOutputCap);
  return cost.priced ? cost.micros : Number.MAX_SAFE_INTEGER;
}
