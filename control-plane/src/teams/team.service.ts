import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { Team } from './team.entity.js';

/** Creates a team; names are unique inside an organization. */
export async function createTeam(em: EntityManager, orgId: string, input: { name: string; description?: string | null }): Promise<Team> {
  const team = em.create(Team, { organization: orgId, name: input.name.trim(), description: input.description?.trim() || null });
  await flushUnique(em, team.name);
  return team;
}

/** Renames a team of the caller's organization. */
export async function renameTeam(em: EntityManager, id: string, name: string): Promise<Team> {
  const team = await em.findOne(Team, { id });
  if (!team) throw new AppError('NOT_FOUND', 'No team with this id.');
  team.name = name.trim();
  await flushUnique(em, team.name);
  return team;
}

/**
 * Deletes a team. Keys of the team stay, without a team, so the organization's config is
 * republished in the same transaction. Refused while something that cannot lose its team still
 * belongs to it.
 */
export async function deleteTeam(services: Services, em: EntityManager, orgId: string, id: string): Promise<string> {
  try {
    await applyConfigChange(services, em, orgId, 'team deleted', async (tx) => {
      const team = await tx.findOne(Team, { id });
      if (!team) throw new AppError('NOT_FOUND', 'No team with this id.');
      tx.remove(team);
    });
  } catch (error) {
    if (error instanceof ForeignKeyConstraintViolationException) {
      throw new AppError('CONFLICT', 'Something still belongs to this team and cannot lose it; move or delete it first.', { reason: 'TEAM_IN_USE' });
    }
    throw error;
  }
  return id;
}

async function flushUnique(em: EntityManager, name: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('CONFLICT', `A team named "${name}" already exists.`, { fields: { name: ['is taken'] } });
    }
    throw error;
  }
}
