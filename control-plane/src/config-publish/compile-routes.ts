import type { EntityManager } from '@mikro-orm/postgresql';
import type { RoleConfig, RouteConfig, RouteDocument } from '@keyward/shared';
import { liveScopes } from './compile-policies.js';
import { sqlRows } from './sql.js';

interface RouteRow {
  id: string;
  version: number;
  document: RouteDocument;
}

interface RoleRow {
  id: string;
  name: string;
  system_prompt: string;
  temperature: number | null;
  max_tokens: number | null;
  route_id: string;
}

/**
 * Reads one organization's routes (current versions with their bindings) and roles. As for
 * policies, only bindings that still resolve inside the organization are published (`liveScopes`).
 */
export async function compileRoutes(em: EntityManager, orgId: string): Promise<{ routes: Record<string, RouteConfig>; roles: Record<string, RoleConfig> }> {
  const routeRows = await sqlRows<RouteRow>(
    em,
    `select r.id, r.current_version as version, v.document
       from routes r join route_versions v on v.route_id = r.id and v.version = r.current_version
      where r.organization_id = ? order by r.id`,
    [orgId],
  );
  const bindings = await liveScopes(em, 'route_bindings', 'route_id', orgId);
  const roleRows = await sqlRows<RoleRow>(
    em,
    `select id, name, system_prompt, temperature, max_tokens, route_id from roles where organization_id = ? order by id`,
    [orgId],
  );
  const routes: Record<string, RouteConfig> = {};
  for (const row of routeRows) {
    routes[row.id] = { ...row.document, id: row.id, orgId, version: Number(row.version), attachments: bindings.get(row.id) ?? [] };
  }
  const roles: Record<string, RoleConfig> = {};
  for (const row of roleRows) {
    roles[row.id] = {
      id: row.id,
      orgId,
      name: row.name,
      systemPrompt: row.system_prompt,
      temperature: row.temperature === null ? null : Number(row.temperature),
      maxTokens: row.max_tokens,
      routeId: row.route_id,
    };
  }
  return { routes, roles };
}
