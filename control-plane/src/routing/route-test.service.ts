import {
  aliasIndex,
  compileRouteRules,
  expandTargets,
  matchedEntry,
  orderTargets,
  providerFamily,
  requestCeiling,
  resolveBinding,
  roleNameOf,
  routeNamesOf,
  strategyOf,
  targetsFitting,
  type BindingKey,
  type ProviderKind,
  type RouteConfig,
  type RouteNames,
  type TargetHealthView,
} from '@keyward/shared';
import { pricingOf } from '../budgets/pricing-settings.js';
import { compileRoutes } from '../config-publish/compile-routes.js';
import { Credential } from '../credentials/credential.entity.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { Key } from '../keys/key.entity.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import { Organization } from '../organizations/organization.entity.js';
import type { RouteTestInput } from './route-test.input.js';
import type { RouteTestResultType, RouteTestTargetType } from './route-test.type.js';
import { targetFigures } from './target-figures.service.js';

const LEVEL_WORDS = { key: 'the key', team: 'the key’s team', org: 'the organization' } as const;

interface SampleTarget extends RouteTestTargetType {
  readonly id: string;
  readonly weight: number;
  readonly contextTokens: number | null;
  readonly provider: ProviderKind;
}

/**
 * Which route and target a sample request would take, and why, worked out by the functions
 * nodes run (`@keyward/shared` routing) on the organization's current routes and roles: role or
 * binding (key, then team, then organization), the `match` entry, alias expansion, the context
 * window, the rule that picks the strategy, and the strategy's order. Latency-based strategies
 * read the last hour's stored p50 per target, which is what a node's live figures approximate.
 */
export async function testRoute(ctx: GraphQLContext, input: RouteTestInput): Promise<RouteTestResultType> {
  const orgId = orgOf(ctx);
  const model = input.model.trim();
  if (model === '') throw new AppError('BAD_USER_INPUT', 'model must name a model, an alias or role:<name>.');
  if (input.estimatedInputTokens < 0 || (input.maxOutputTokens != null && input.maxOutputTokens < 0))
    throw new AppError('BAD_USER_INPUT', 'token counts must not be negative.');
  const key = await bindingKey(ctx, orgId, input);
  const org = await ctx.em.findOneOrFail(Organization, { id: orgId });
  const { routes, roles } = await compileRoutes(ctx.em, orgId);
  const steps: string[] = [];

  let route: RouteConfig | undefined;
  const roleName = roleNameOf(model);
  if (roleName !== null) {
    const role = Object.values(roles).find((r) => r.name === roleName);
    route = role && routes[role.routeId];
    if (!role || !route) throw new AppError('NOT_FOUND', `No role named "${roleName}" exists in this organization; agents asking for it get no_route.`);
    steps.push(`"${model}" names the role "${role.name}": its system prompt is prepended and its route "${route.name}" is used.`);
  } else {
    const byScope = new Map<string, RouteNames<RouteConfig>[]>();
    for (const r of Object.values(routes))
      for (const scope of r.attachments) byScope.set(scope.id, [...(byScope.get(scope.id) ?? []), routeNamesOf(r.match, r)]);
    const found = resolveBinding(byScope, key, model);
    if (!found) {
      steps.push(
        `No route bound to ${key.id ? 'the key, its team or' : 'the team or'} the organization names "${model}": the key’s own credentials serving it are used, as without routes.`,
      );
      return { routeId: null, routeName: null, strategy: null, chosen: null, targets: [], steps };
    }
    route = found.names.route;
    steps.push(
      `The route "${route.name}" is bound to ${LEVEL_WORDS[found.level]} and answers "${model}" through its entry "${matchedEntry(route.match, model)}".`,
    );
  }

  const credentials = new Map((await ctx.em.find(Credential, {})).map((c) => [c.id, c]));
  const expanded = expandTargets(route, aliasIndex(Object.values(routes)), (t, from): SampleTarget | null => {
    const credential = credentials.get(t.credentialId);
    if (!credential) return null;
    const viaRoute = from.id === route.id ? null : from.name;
    return {
      id: `${t.credentialId}/${t.model}`,
      credentialId: t.credentialId,
      credentialName: credential.name,
      model: t.model,
      viaRoute,
      position: null,
      skipped: null,
      weight: t.weight,
      contextTokens: t.contextTokens,
      provider: credential.provider,
    };
  });
  const aliased = [...new Set(expanded.flatMap((t) => (t.viaRoute ? [t.viaRoute] : [])))];
  if (aliased.length > 0) steps.push(`Alias targets are replaced by the targets of ${aliased.map((n) => `"${n}"`).join(', ')}.`);

  const pricing = pricingOf(org.settings);
  const now = new Date();
  const reserveModel = expanded[0]?.model ?? model;
  const ceiling = requestCeiling(input.estimatedInputTokens, input.maxOutputTokens ?? null, reserveModel, pricing, now);
  const fitting = targetsFitting(expanded, ceiling.tokens);
  const skipped = expanded
    .filter((t) => !fitting.includes(t))
    .map((t) => ({ ...t, skipped: `its context window (${t.contextTokens} tokens) is smaller than the request (about ${ceiling.tokens} with its answer)` }));
  if (skipped.length > 0)
    steps.push(`${skipped.length} target(s) left out: the request (about ${ceiling.tokens} tokens with its answer) does not fit their context window.`);

  const rules = compileRouteRules(route, org.settings.timeZone);
  const first = fitting[0];
  const matched =
    rules === null
      ? []
      : rules
          .evaluateRequest({
            provider: first?.provider ?? 'openai',
            api: first ? providerFamily(first.provider) : 'openai',
            endpoint: 'chat.completions',
            model,
            keyLabels: key.labels,
            keyMetadata: {},
            headers: {},
            messages: [],
            systemText: '',
            toolsOffered: input.toolsOffered,
            toolCalls: [],
            estimatedInputTokens: input.estimatedInputTokens,
            maxOutputTokens: input.maxOutputTokens ?? null,
            estimatedCostMicros: ceiling.micros,
            now: new Date(),
          })
          .matches.map((m) => m.ruleId);
  const strategy = strategyOf(route, matched);
  steps.push(
    matched[0] === undefined
      ? `No strategy rule holds${route.rules.length === 0 ? ' (the route has none)' : ''}: the route’s own strategy ${strategy.toUpperCase()} applies.`
      : `Rule ${Number(matched[0]) + 1} holds for the sample, so its strategy ${strategy.toUpperCase()} applies.`,
  );

  const board = await storedHealth(ctx, route.id);
  const ordered = orderTargets(fitting, {
    strategy,
    board,
    costOf: (t) => {
      const cost = requestCeiling(input.estimatedInputTokens, input.maxOutputTokens ?? null, t.model, pricing, now);
      return cost.priced ? cost.micros : Number.MAX_SAFE_INTEGER;
    },
    maxLatencyMs: route.maxLatencyMs,
    now: Date.now(),
    random: Math.random,
  });
  const targets = [...ordered.map((t, i) => ({ ...t, position: i + 1 })), ...skipped].map(publicTarget);
  const chosen = targets[0]?.position === 1 ? targets[0] : null;
  steps.push(
    chosen
      ? `${strategyWords(strategy, fitting.length)} "${chosen.credentialName}" / ${chosen.model} is tried first.`
      : 'No target can take the request: agents get an error naming the route.',
  );
  return { routeId: route.id, routeName: route.name, strategy, chosen, targets, steps };
}

function strategyWords(strategy: string, count: number): string {
  if (count < 2) return 'With one target,';
  switch (strategy) {
    case 'weighted':
      return 'Drawn by weight (another draw may differ),';
    case 'least_outstanding':
      return 'With nothing in flight in this test, in route order,';
    case 'lowest_latency':
      return 'By the last hour’s median latency (a tenth of requests explore at random),';
    case 'lowest_cost':
      return 'Cheapest for this request within the latency limit,';
    default:
      return 'In route order,';
  }
}

function publicTarget(t: SampleTarget): RouteTestTargetType {
  return { credentialId: t.credentialId, credentialName: t.credentialName, model: t.model, viaRoute: t.viaRoute, position: t.position, skipped: t.skipped };
}

/** Target health as the last hour's stored figures tell it (nothing is in flight in a test). */
async function storedHealth(ctx: GraphQLContext, routeId: string): Promise<TargetHealthView> {
  const figures = new Map((await targetFigures(ctx, 'hour', routeId)).map((f) => [`${f.credentialId}/${f.model}`, f.latencyP50Ms]));
  return { get: (id) => ({ outstanding: 0, latencyPercentile: () => figures.get(id) ?? null }) };
}

/** The key (or team) the sample is sent as, for binding precedence and key labels. */
async function bindingKey(ctx: GraphQLContext, orgId: string, input: RouteTestInput): Promise<BindingKey & { labels: Record<string, string> }> {
  if (input.keyId != null) {
    assertUuid(input.keyId, 'a key id');
    const key = await ctx.em.findOne(Key, { id: input.keyId });
    if (!key) throw new AppError('NOT_FOUND', `No key with id ${input.keyId} in this organization.`);
    return { id: key.id, teamId: key.team?.id ?? null, orgId, labels: key.labels };
  }
  if (input.teamId != null) assertUuid(input.teamId, 'a team id');
  return { id: '', teamId: input.teamId ?? null, orgId, labels: {} };
}
