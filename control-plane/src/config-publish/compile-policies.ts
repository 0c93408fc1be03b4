import type { EntityManager } from '@mikro-orm/postgresql';
import type { PolicyConfig, ScopeRef } from '@keyward/shared';
import { sqlRows } from './sql.js';

interface PolicyRow {
  id: string;
  name: string;
  enabled: boolean;
  version: number;
  document: unknown;
}

interface ScopeRow {
  owner_id: string;
  scope_kind: ScopeRef['kind'];
  scope_id: string;
}

/**
 * Reads one organization's policies, their current versions and attachments (through `em`, so
 * inside a publishing transaction it sees the uncommitted change). Only attachments that still
 * resolve inside the organization are published: the organization itself, its teams, and its
 * active keys (a revoked key is gone from the config, so a policy attached to it applies
 * nowhere). The attachments are the only place a key's policies are published: nodes find
 * them by scope, as they find the organization's and the team's. Documents are published as
 * stored, already normalized; the reference check validates them again with the wire validator
 * nodes run. Every policy, enabled or not, by id.
 */
export async function compilePolicyCollection(em: EntityManager, orgId: string): Promise<Record<string, PolicyConfig>> {
  const policyRows = await sqlRows<PolicyRow>(
    em,
    `select p.id, p.name, p.enabled, p.current_version as version, v.document
       from policies p join policy_versions v on v.policy_id = p.id and v.version = p.current_version
      where p.organization_id = ?
      order by p.id`,
    [orgId],
  );
  const attachments = await liveScopes(em, 'policy_attachments', 'policy_id', orgId);

  const collection: Record<string, PolicyConfig> = {};
  for (const row of policyRows) {
    collection[row.id] = {
      id: row.id,
      orgId,
      name: row.name,
      version: Number(row.version),
      enabled: row.enabled,
      attachments: attachments.get(row.id) ?? [],
      document: row.document,
    };
  }
  return collection;
}

/**
 * Where each policy or route of the organization applies, by its id: only the places that
 * still resolve inside the organization (the organization itself, its teams and its active
 * keys; a revoked key is gone from the config), organization first, then teams, then keys.
 */
export async function liveScopes(
  em: EntityManager,
  table: 'policy_attachments' | 'route_bindings',
  owner: 'policy_id' | 'route_id',
  orgId: string,
): Promise<Map<string, ScopeRef[]>> {
  const rows = await sqlRows<ScopeRow>(
    em,
    `select a.${owner} as owner_id, a.scope_kind, a.scope_id
       from ${table} a
       left join teams t on a.scope_kind = 'team' and t.id = a.team_id and t.organization_id = a.organization_id
       left join keys k on a.scope_kind = 'key' and k.id = a.key_id and k.organization_id = a.organization_id and k.status = 'active'
      where a.organization_id = ?
        and ((a.scope_kind = 'org' and a.scope_id = a.organization_id) or t.id is not null or k.id is not null)
      order by a.${owner}, case a.scope_kind when 'org' then 0 when 'team' then 1 else 2 end, a.scope_id`,
    [orgId],
  );
  const scopes = new Map<string, ScopeRef[]>();
  for (const row of rows) {
    let list = scopes.get(row.owner_id);
    if (!list) scopes.set(row.owner_id, (list = []));
    list.push({ kind: row.scope_kind, id: row.scope_id });
  }
  return scopes;
}
