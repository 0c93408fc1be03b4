import type { LimitScopeRef } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { Key } from '../keys/key.entity.js';
import { KeyPool } from '../pools/pool.entity.js';
import { Team } from '../teams/team.entity.js';

/**
 * Checks that a budget's or rate limit's scope exists in the caller's organization (the tenant
 * filter hides every other one) and returns it. The organization scope takes no id, or its own.
 */
export async function resolveScope(em: EntityManager, orgId: string, kind: LimitScopeRef['kind'], id: string | null | undefined): Promise<LimitScopeRef> {
  if (kind === 'org') {
    if (id && id !== orgId)
      throw new AppError('BAD_USER_INPUT', 'scopeId must be omitted (or be this organization) for an ORG scope.', {
        fields: { scopeId: ['must be omitted for ORG'] },
      });
    return { kind, id: orgId };
  }
  if (!id) throw new AppError('BAD_USER_INPUT', `scopeId is required for a ${kind.toUpperCase()} scope.`, { fields: { scopeId: ['is required'] } });
  if (kind === 'team') {
    if (!(await em.count(Team, { id }))) throw new AppError('NOT_FOUND', `No team with id ${id} in this organization.`);
  } else if (kind === 'pool') {
    if (!(await em.count(KeyPool, { id }))) throw new AppError('NOT_FOUND', `No key pool with id ${id} in this organization.`);
  } else {
    const key = await em.findOne(Key, { id });
    if (!key) throw new AppError('NOT_FOUND', `No key with id ${id} in this organization.`);
    if (key.status === 'revoked') throw new AppError('CONFLICT', `Key ${id} is revoked; a limit on it would never apply.`);
  }
  return { kind, id };
}

/** Which of these scopes still exist (a deleted team, a revoked key do not), as `kind:id` strings. */
export async function liveScopes(em: EntityManager, orgId: string, scopes: readonly LimitScopeRef[]): Promise<Set<string>> {
  const live = new Set<string>([`org:${orgId}`]);
  const teamIds = scopes.filter((s) => s.kind === 'team').map((s) => s.id);
  const keyIds = scopes.filter((s) => s.kind === 'key').map((s) => s.id);
  const poolIds = scopes.filter((s) => s.kind === 'pool').map((s) => s.id);
  if (teamIds.length > 0) for (const team of await em.find(Team, { id: { $in: teamIds } })) live.add(`team:${team.id}`);
  if (keyIds.length > 0) for (const key of await em.find(Key, { id: { $in: keyIds }, status: 'active' })) live.add(`key:${key.id}`);
  if (poolIds.length > 0) for (const pool of await em.find(KeyPool, { id: { $in: poolIds } })) live.add(`pool:${pool.id}`);
  return live;
}
