import { compileGlobs, isAliasTarget, ROLE_PREFIX, type ConfigCollections, type RouteConfig } from '@keyward/shared';

/**
 * What is wrong with an organization's routes and roles, one sentence each: a target naming a
 * credential that does not exist or does not serve its model, an alias no route answers, aliases
 * that lead back to themselves, a role whose route is gone. A route may mix API families: the
 * data plane translates between every pair of chat APIs.
 */
export function checkRoutes(orgId: string, collections: ConfigCollections): string[] {
  const problems: string[] = [];
  const routes = Object.values(collections.routes);
  const byAlias = new Map<string, RouteConfig>();
  for (const route of routes) for (const name of route.match) byAlias.set(name.toLowerCase(), route);

  for (const route of routes) {
    const label = `route "${route.name}"`;
    if (route.orgId !== orgId) problems.push(`${label} belongs to another organization.`);
    route.targets.forEach((target, i) => {
      const where = `${label} target ${i + 1}`;
      if (isAliasTarget(target)) {
        if (!byAlias.has(target.alias.toLowerCase())) problems.push(`${where} names the alias "${target.alias}", which no route answers.`);
        return;
      }
      const credential = collections.credentials[target.credentialId];
      if (!credential || credential.orgId !== orgId) {
        problems.push(`${where} uses credential ${target.credentialId}, which does not exist in this organization.`);
        return;
      }
      if (credential.models.length > 0 && !compileGlobs(credential.models.map((m) => m.toLowerCase()))(target.model.toLowerCase())) {
        problems.push(
          `${where} asks credential "${credential.name}" for the model "${target.model}", which it does not serve (it serves ${credential.models.join(', ')}).`,
        );
      }
    });
  }

  for (const route of routes) {
    const cycle = aliasCycle(route, byAlias, []);
    if (cycle) problems.push(`route "${route.name}" leads back to itself through aliases: ${cycle.join(' → ')}.`);
  }

  for (const role of Object.values(collections.roles)) {
    if (!collections.routes[role.routeId]) problems.push(`role "${ROLE_PREFIX}${role.name}" uses route ${role.routeId}, which does not exist.`);
  }
  return problems;
}

/** The chain of route names that returns to `route` through alias targets, or null. */
function aliasCycle(route: RouteConfig, byAlias: ReadonlyMap<string, RouteConfig>, path: readonly string[]): string[] | null {
  if (path.includes(route.id)) return null;
  const here = [...path, route.id];
  for (const target of route.targets) {
    if (!isAliasTarget(target)) continue;
    const next = byAlias.get(target.alias.toLowerCase());
    if (!next) continue;
    if (next.id === here[0]) return [...here.map((id) => byId(byAlias, id)), next.name];
    const found = aliasCycle(next, byAlias, here);
    if (found) return found;
  }
  return null;
}

function byId(byAlias: ReadonlyMap<string, RouteConfig>, id: string): string {
  for (const route of byAlias.values()) if (route.id === id) return route.name;
  return id;
}
