import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isAliasTarget, validateRouteDocument, WireError, type RouteDocument } from '@keyward/shared';
import { actorOf } from '../auth/viewer.js';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import { forkForOrg, type GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { assertUuid } from '../keys/validators.js';
import type { ScopeInput } from '../policies/policy.input.js';
import { resolveScope } from '../policies/policy.service.js';
import type { PolicyScopeType } from '../policies/policy.type.js';
import { KeyPool } from '../pools/pool.entity.js';
import { Route, RouteBinding, RouteRole, RouteVersion } from './route.entity.js';
import type { RoleInput, RouteInput } from './route.input.js';
import type { RoleType, RouteType, RouteVersionType } from './route.type.js';

/** Most routes one organization may have (each is compiled into every node's config). */
const MAX_ROUTES_PER_ORG = 200;
const MAX_ROLES_PER_ORG = 200;
const SCOPE_ORDER = { org: 0, team: 1, key: 2 } as const;
const DEFAULT_BREAKER = { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 };

/** The document a route input describes, validated by the same check nodes run; a bad field is BAD_USER_INPUT naming it (and listing it in `extensions.errors`). */
function routeDocumentOf(input: RouteInput): RouteDocument {
  const doc = {
    name: input.name.trim(),
    match: input.match,
    strategy: input.strategy,
    rules: input.rules.map((r) => ({ when: r.when, strategy: r.strategy })),
    maxLatencyMs: input.maxLatencyMs ?? null,
    breaker: { ...DEFAULT_BREAKER, ...input.breaker },
    targets: input.targets.map((t) =>
      t.alias != null
        ? { alias: t.alias, ...(t.credentialId != null ? { credentialId: t.credentialId } : {}), ...(t.model != null ? { model: t.model } : {}) }
        : {
            credentialId: t.credentialId,
            model: t.model,
            weight: t.weight,
            timeoutMs: t.timeoutMs,
            maxRetries: t.maxRetries,
            contextTokens: t.contextTokens ?? null,
          },
    ),
    cache: input.cache == null ? null : { ttlSeconds: input.cache.ttlSeconds },
  };
  try {
    return validateRouteDocument(doc);
  } catch (error) {
    if (error instanceof WireError) {
      const message = `${error.message}.`;
      throw new AppError('BAD_USER_INPUT', message, error.path === null ? undefined : { errors: [{ path: error.path, message }] });
    }
    throw error;
  }
}

/** Every route of the organization, by name. */
export async function listRoutes(ctx: GraphQLContext): Promise<RouteType[]> {
  const routes = await ctx.em.find(Route, {}, { orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  return toRouteTypes(ctx.em, routes);
}

/** One route of the organization. */
export async function getRoute(ctx: GraphQLContext, id: string): Promise<RouteType> {
  const [view] = await toRouteTypes(ctx.em, [await findRoute(ctx.em, id)]);
  return view!;
}

/** A route's versions, newest first. */
export async function listRouteVersions(ctx: GraphQLContext, id: string): Promise<RouteVersionType[]> {
  const route = await findRoute(ctx.em, id);
  const versions = await ctx.em.find(RouteVersion, { route: route.id }, { orderBy: { version: 'desc' } });
  return versions.map((v) => ({ version: v.version, document: v.document, changedBy: v.changedBy, note: v.note, createdAt: v.createdAt }));
}

/** Creates a route; the publish check refuses it when a target names a missing credential or model, or aliases form a cycle. */
export async function createRoute(ctx: GraphQLContext, input: RouteInput): Promise<RouteType> {
  const orgId = orgOf(ctx);
  const document = routeDocumentOf(input);
  const actor = actorOf(ctx.viewer!);
  const route = await applyConfigChange(ctx.services, ctx.em, orgId, 'route created', async (tx) => {
    if ((await tx.count(Route, {})) >= MAX_ROUTES_PER_ORG) {
      throw new AppError('CONFLICT', `An organization may have at most ${MAX_ROUTES_PER_ORG} routes; delete one first.`);
    }
    const route = tx.create(Route, { organization: orgId, name: document.name, currentVersion: 1, createdBy: actor });
    tx.create(RouteVersion, { organization: orgId, route, version: 1, document, changedBy: actor });
    return route;
  });
  return viewOf(ctx, orgId, route.id);
}

/** Stores a new version of a route (an unchanged document spends no version). */
export async function updateRoute(ctx: GraphQLContext, id: string, input: RouteInput, note: string | null | undefined): Promise<RouteType> {
  const orgId = orgOf(ctx);
  if (note != null && (note.length > 500 || /\p{Cc}/u.test(note))) {
    throw new AppError('BAD_USER_INPUT', 'note must be at most 500 characters, without control characters.');
  }
  const document = routeDocumentOf(input);
  const actor = actorOf(ctx.viewer!);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'route updated', async (tx) => {
    const route = await findRoute(tx, id, true);
    const current = await tx.findOne(RouteVersion, { route: route.id, version: route.currentVersion });
    if (current && JSON.stringify(current.document) === JSON.stringify(document)) return;
    route.currentVersion += 1;
    route.name = document.name;
    tx.create(RouteVersion, { organization: orgId, route, version: route.currentVersion, document, changedBy: actor, note: note?.trim() || null });
  });
  return viewOf(ctx, orgId, id);
}

/** Deletes a route with its versions and bindings; refused while a role uses it. */
export async function deleteRoute(ctx: GraphQLContext, id: string): Promise<string> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'route deleted', async (tx) => {
    const route = await findRoute(tx, id, true);
    const role = await tx.findOne(RouteRole, { route: route.id });
    if (role) throw new AppError('CONFLICT', `Route "${route.name}" is used by role "${role.name}"; give the role another route or delete it first.`);
    const pool = await tx.findOne(KeyPool, { routeId: route.id });
    if (pool) throw new AppError('CONFLICT', `Route "${route.name}" is used by key pool "${pool.name}"; give the pool another route or delete it first.`);
    await tx.nativeDelete(RouteBinding, { route: route.id });
    await tx.nativeDelete(RouteVersion, { route: route.id });
    tx.remove(route);
    return route.id;
  });
}

/** Binds a route to the organization, a team or a key (binding twice changes nothing). */
export async function bindRoute(ctx: GraphQLContext, id: string, scope: ScopeInput): Promise<RouteType> {
  const orgId = orgOf(ctx);
  const actor = actorOf(ctx.viewer!);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'route bound', async (tx) => {
    const route = await findRoute(tx, id, true);
    const target = await resolveScope(tx, orgId, scope, 'routes');
    if (await tx.count(RouteBinding, { route: route.id, scopeKind: scope.kind, scopeId: target.id })) return;
    tx.create(RouteBinding, { organization: orgId, route, scopeKind: scope.kind, scopeId: target.id, team: target.team, key: target.key, boundBy: actor });
  });
  return viewOf(ctx, orgId, id);
}

/** Removes one binding of a route. */
export async function unbindRoute(ctx: GraphQLContext, id: string, scope: ScopeInput): Promise<RouteType> {
  const orgId = orgOf(ctx);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'route unbound', async (tx) => {
    const route = await findRoute(tx, id, true);
    const scopeId = scope.kind === 'org' ? (scope.id ?? orgId) : scope.id;
    if (!scopeId) throw new AppError('BAD_USER_INPUT', `scope.id is required for ${scope.kind.toUpperCase()}.`);
    assertUuid(scopeId, `a ${scope.kind === 'org' ? 'organization' : scope.kind} id`);
    if ((await tx.nativeDelete(RouteBinding, { route: route.id, scopeKind: scope.kind, scopeId })) === 0) {
      throw new AppError('NOT_FOUND', `Route "${route.name}" is not bound to ${scope.kind === 'org' ? 'the organization' : `${scope.kind} ${scopeId}`}.`);
    }
  });
  return viewOf(ctx, orgId, id);
}

/** Every role of the organization, by name. */
export async function listRoles(ctx: GraphQLContext): Promise<RoleType[]> {
  const roles = await ctx.em.find(RouteRole, {}, { orderBy: { name: 'asc' } });
  return roles.map(toRoleType);
}

/** Creates a role; its name must be free and its route must exist. */
export async function createRole(ctx: GraphQLContext, input: RoleInput): Promise<RoleType> {
  const orgId = orgOf(ctx);
  const actor = actorOf(ctx.viewer!);
  const role = await applyConfigChange(ctx.services, ctx.em, orgId, 'role created', async (tx) => {
    if ((await tx.count(RouteRole, {})) >= MAX_ROLES_PER_ORG) throw new AppError('CONFLICT', `An organization may have at most ${MAX_ROLES_PER_ORG} roles.`);
    if (await tx.count(RouteRole, { name: input.name })) throw new AppError('CONFLICT', `A role named "${input.name}" already exists.`);
    const route = await findRoute(tx, input.routeId);
    return tx.create(RouteRole, { organization: orgId, ...roleFields(input), route, createdBy: actor });
  });
  return toRoleType(role);
}

/** Replaces a role's name, prompt, defaults and route. */
export async function updateRole(ctx: GraphQLContext, id: string, input: RoleInput): Promise<RoleType> {
  const orgId = orgOf(ctx);
  const role = await applyConfigChange(ctx.services, ctx.em, orgId, 'role updated', async (tx) => {
    const role = await findRole(tx, id);
    if (input.name !== role.name && (await tx.count(RouteRole, { name: input.name })))
      throw new AppError('CONFLICT', `A role named "${input.name}" already exists.`);
    const route = await findRoute(tx, input.routeId);
    Object.assign(role, roleFields(input));
    role.route = tx.getReference(Route, route.id, { wrapped: true });
    return role;
  });
  return toRoleType(role);
}

/** Deletes a role; agents asking for it get `no_route` from the next config version. */
export async function deleteRole(ctx: GraphQLContext, id: string): Promise<string> {
  const orgId = orgOf(ctx);
  return applyConfigChange(ctx.services, ctx.em, orgId, 'role deleted', async (tx) => {
    const role = await findRole(tx, id);
    tx.remove(role);
    return role.id;
  });
}

function roleFields(input: RoleInput) {
  return { name: input.name, systemPrompt: input.systemPrompt, temperature: input.temperature ?? null, maxTokens: input.maxTokens ?? null };
}

function toRoleType(role: RouteRole): RoleType {
  return { id: role.id, name: role.name, systemPrompt: role.systemPrompt, temperature: role.temperature, maxTokens: role.maxTokens, routeId: role.route.id };
}

async function findRole(em: EntityManager, id: string): Promise<RouteRole> {
  assertUuid(id, 'a role id');
  const role = await em.findOne(RouteRole, { id });
  if (!role) throw new AppError('NOT_FOUND', `No role with id ${id} in this organization.`);
  return role;
}

async function findRoute(em: EntityManager, id: string, lock = false): Promise<Route> {
  assertUuid(id, 'a route id');
  const route = await em.findOne(Route, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!route) throw new AppError('NOT_FOUND', `No route with id ${id} in this organization.`);
  return route;
}

async function toRouteTypes(em: EntityManager, routes: readonly Route[]): Promise<RouteType[]> {
  if (routes.length === 0) return [];
  const [versions, bindings] = await Promise.all([
    em.find(RouteVersion, { $or: routes.map((r) => ({ route: r.id, version: r.currentVersion })) }),
    em.find(RouteBinding, { route: { $in: routes.map((r) => r.id) } }),
  ]);
  const documentOf = new Map(versions.map((v) => [v.route.id, v.document]));
  return routes.map((route) => {
    const doc = documentOf.get(route.id);
    if (!doc) throw new Error(`route ${route.id} has no version ${route.currentVersion}`);
    const scopes = bindings
      .filter((b) => b.route.id === route.id)
      .sort((a, b) => SCOPE_ORDER[a.scopeKind] - SCOPE_ORDER[b.scopeKind] || a.scopeId.localeCompare(b.scopeId))
      .map((b): PolicyScopeType => ({ kind: b.scopeKind, id: b.scopeId, name: null }));
    return {
      id: route.id,
      name: route.name,
      currentVersion: route.currentVersion,
      match: [...doc.match],
      strategy: doc.strategy,
      rules: doc.rules.map((r) => ({ when: r.when, strategy: r.strategy })),
      maxLatencyMs: doc.maxLatencyMs,
      breaker: { ...doc.breaker },
      targets: doc.targets.map((t) =>
        isAliasTarget(t)
          ? { alias: t.alias, credentialId: null, model: null, weight: null, timeoutMs: null, maxRetries: null, contextTokens: null }
          : { ...t, alias: null },
      ),
      cache: doc.cache ?? null,
      bindings: scopes,
      createdAt: route.createdAt,
      updatedAt: route.updatedAt,
    };
  });
}

/** Reads the committed route through a fresh entity manager. */
async function viewOf(ctx: GraphQLContext, orgId: string, id: string): Promise<RouteType> {
  const em = forkForOrg(ctx.services, orgId);
  const [view] = await toRouteTypes(em, [await findRoute(em, id)]);
  return view!;
}
