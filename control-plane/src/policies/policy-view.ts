import type { EntityManager } from '@mikro-orm/postgresql';
import { Key } from '../keys/key.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { Team } from '../teams/team.entity.js';
import { actorNames } from './actor-names.js';
import { PolicyAttachment } from './policy-attachment.entity.js';
import type { Policy } from './policy.entity.js';
import { PolicyVersion } from './policy-version.entity.js';
import type { PolicyScopeType, PolicyType, PolicyVersionType } from './policy.type.js';

/** Attachments are listed organization first, then teams, then keys, as nodes evaluate them. */
const SCOPE_ORDER = { org: 0, team: 1, key: 2 } as const;

/**
 * GraphQL views of policies with their current version and attachments, in four queries
 * whatever the number of policies. `em` must be bound to the policies' organization.
 */
export async function toPolicyTypes(em: EntityManager, policies: readonly Policy[]): Promise<PolicyType[]> {
  if (policies.length === 0) return [];
  const ids = policies.map((p) => p.id);
  const [versions, attachments] = await Promise.all([
    em.find(PolicyVersion, { $or: policies.map((p) => ({ policy: p.id, version: p.currentVersion })) }),
    em.find(PolicyAttachment, { policy: { $in: ids } }),
  ]);
  const scopeNames = await namesOfScopes(em, attachments);
  const versionOf = new Map(versions.map((v) => [v.policy.id, v]));
  return policies.map((policy) => {
    const current = versionOf.get(policy.id);
    if (!current) throw new Error(`policy ${policy.id} has no version ${policy.currentVersion}`);
    const scopes = attachments
      .filter((a) => a.policy.id === policy.id)
      .sort((a, b) => SCOPE_ORDER[a.scopeKind] - SCOPE_ORDER[b.scopeKind] || a.scopeId.localeCompare(b.scopeId))
      .map((a): PolicyScopeType => ({ kind: a.scopeKind, id: a.scopeId, name: scopeNames.get(a.scopeId) ?? null }));
    return {
      id: policy.id,
      name: policy.name,
      description: policy.description,
      enabled: policy.enabled,
      shadow: current.document.shadow,
      currentVersion: policy.currentVersion,
      document: current.document,
      source: current.source,
      format: current.format,
      attachments: scopes,
      createdBy: policy.createdBy,
      createdAt: policy.createdAt,
      updatedAt: policy.updatedAt,
    };
  });
}

/** Every version of a policy, newest first, with the names of who made them. */
export async function toPolicyVersionTypes(em: EntityManager, policyId: string): Promise<PolicyVersionType[]> {
  const versions = await em.find(PolicyVersion, { policy: policyId }, { orderBy: { version: 'desc' } });
  const names = await actorNames(
    em,
    versions.map((v) => v.changedBy),
  );
  return versions.map((v) => ({
    version: v.version,
    document: v.document,
    source: v.source,
    format: v.format,
    changedBy: v.changedBy,
    changedByName: names.get(v.changedBy) ?? null,
    note: v.note,
    createdAt: v.createdAt,
  }));
}

async function namesOfScopes(em: EntityManager, attachments: readonly PolicyAttachment[]): Promise<Map<string, string>> {
  const idsOf = (kind: PolicyAttachment['scopeKind']) => [...new Set(attachments.filter((a) => a.scopeKind === kind).map((a) => a.scopeId))];
  const [orgs, teams, keys] = await Promise.all([
    idsOf('org').length ? em.find(Organization, { id: { $in: idsOf('org') } }, { fields: ['id', 'name'] }) : [],
    idsOf('team').length ? em.find(Team, { id: { $in: idsOf('team') } }, { fields: ['id', 'name'] }) : [],
    idsOf('key').length ? em.find(Key, { id: { $in: idsOf('key') } }, { fields: ['id', 'name'] }) : [],
  ]);
  return new Map<string, string>([...orgs, ...teams, ...keys].map((row) => [row.id, row.name]));
}
