import type { AnomalyResponse } from '@keyward/shared';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { findKey, orgOf } from '../keys/key.service.js';
import { toKeyType, type KeyType } from '../keys/key.type.js';
import { assertUuid } from '../keys/validators.js';
import { Organization } from '../organizations/organization.entity.js';
import { Team } from '../teams/team.entity.js';
import type { SetAnomalyResponseInput } from './anomaly.input.js';
import type { AnomalyResponseType } from './anomaly.type.js';

/** Sets (or clears, with a null action) the anomaly response of the organization, a team or a key, and publishes it. */
export async function setAnomalyResponse(ctx: GraphQLContext, input: SetAnomalyResponseInput): Promise<AnomalyResponseType | null> {
  const orgId = orgOf(ctx);
  if (!Number.isInteger(input.threshold) || input.threshold < 1 || input.threshold > 100) {
    throw new AppError('BAD_USER_INPUT', 'threshold must be a whole score from 1 to 100.');
  }
  const response: AnomalyResponse | null = input.action ? { action: input.action, threshold: input.threshold } : null;
  const scopeId = input.scopeKind === 'organization' ? orgId : input.scopeId;
  if (!scopeId) throw new AppError('BAD_USER_INPUT', `scopeId must name the ${input.scopeKind} whose anomaly response this is.`);
  await applyConfigChange(ctx.services, ctx.em, orgId, 'anomaly response changed', async (tx) => {
    if (input.scopeKind === 'key') {
      (await findKey(tx, scopeId)).anomalyResponse = response;
    } else if (input.scopeKind === 'team') {
      assertUuid(scopeId, 'a team id');
      const team = await tx.findOne(Team, { id: scopeId });
      if (!team) throw new AppError('NOT_FOUND', `No team with id ${scopeId} in this organization.`);
      team.anomalyResponse = response;
    } else {
      const org = await tx.findOneOrFail(Organization, { id: orgId });
      const { anomalyResponse: _previous, ...settings } = org.settings;
      org.settings = response ? { ...settings, anomalyResponse: response } : settings;
    }
  });
  return response;
}

/** Unfreezes a key a person has reviewed: nodes serve it again, and the activity that froze it no longer counts. */
export async function unfreezeKey(ctx: GraphQLContext, id: string): Promise<KeyType> {
  return releaseKey(ctx, id, 'frozen');
}

/** Ends the hold of a key's requests a person has reviewed. */
export async function releaseKeyHold(ctx: GraphQLContext, id: string): Promise<KeyType> {
  return releaseKey(ctx, id, 'held');
}

async function releaseKey(ctx: GraphQLContext, id: string, stop: 'frozen' | 'held'): Promise<KeyType> {
  return applyConfigChange(ctx.services, ctx.em, orgOf(ctx), stop === 'frozen' ? 'key unfrozen' : 'key hold released', async (tx) => {
    const key = await findKey(tx, id);
    if (stop === 'frozen') {
      if (key.frozenAt === null) throw new AppError('CONFLICT', `Key "${key.name}" is not frozen.`);
      key.frozenAt = null;
      key.frozenReason = null;
    } else {
      if (key.heldAt === null) throw new AppError('CONFLICT', `Key "${key.name}"'s requests are not held.`);
      key.heldAt = null;
      key.heldReason = null;
    }
    key.releasedAt = new Date();
    return toKeyType(key, []);
  });
}
