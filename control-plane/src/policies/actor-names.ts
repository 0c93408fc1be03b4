import { isUuid } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiToken } from '../tokens/api-token.entity.js';
import { User } from '../users/user.entity.js';

/**
 * Display names for audit actors (`user:<id>`, `token:<id>`, `link:<channel>`), looked up in one
 * query per kind. People show as their name and email; API tokens as `API token "<name>"`
 * (tokens are read through the caller's tenant filter, so another organization's never
 * resolves); signed links as the channel they were sent to. Unknown actors map to null.
 */
export async function actorNames(em: EntityManager, actors: readonly (string | null)[]): Promise<Map<string, string | null>> {
  const names = new Map<string, string | null>();
  const userIds = new Set<string>();
  const tokenIds = new Set<string>();
  for (const actor of actors) {
    if (!actor || names.has(actor)) continue;
    names.set(actor, null);
    const [kind, id = ''] = splitActor(actor);
    if (kind === 'user' && isUuid(id)) userIds.add(id);
    else if (kind === 'token' && isUuid(id)) tokenIds.add(id);
    else if (kind === 'link') names.set(actor, `signed ${id} link`);
  }
  if (userIds.size > 0) {
    const users = await em.find(User, { id: { $in: [...userIds] } }, { fields: ['id', 'name', 'email'] });
    for (const user of users) names.set(`user:${user.id}`, `${user.name} <${user.email}>`);
  }
  if (tokenIds.size > 0) {
    const tokens = await em.find(ApiToken, { id: { $in: [...tokenIds] } }, { fields: ['id', 'name'] });
    for (const token of tokens) names.set(`token:${token.id}`, `API token "${token.name}"`);
  }
  return names;
}

function splitActor(actor: string): [string, string | undefined] {
  const colon = actor.indexOf(':');
  return colon < 0 ? [actor, undefined] : [actor.slice(0, colon), actor.slice(colon + 1)];
}
