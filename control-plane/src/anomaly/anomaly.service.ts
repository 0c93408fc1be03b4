import { type AnomalyBaseline, type AnomalyResponse } from '@keyward/shared';
import { applyConfigChange } from '../config-publish/publish.js';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { findKey, orgOf } from '../keys/key.service.js';
import { toKeyType, type KeyType } from '../keys/key.type.js';
import { assertUuid } from '../keys/validators.js';
import { Organization } from '../organizations/organization.entity.js';
import { Team } from '../teams/team.entity.js';
import type { SetAnomalyResponseInput } from './anomaly.input.js';
import type { AnomalyResponseType, KeyAnomalyType } from './anomaly.type.js';
import { sqlRows } from '../config-publish/sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';

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

/** A key's learned baseline in figures, and the highest score per five minutes over the last day. */
export async function keyAnomaly(ctx: GraphQLContext, id: string): Promise<KeyAnomalyType> {
  const orgId = orgOf(ctx);
  const key = await findKey(ctx.em, id);
  const em = ctx.em as EntityManager;
  const [row] = await sqlRows<{ baseline: AnomalyBaseline; learned_until: Date }>(
    em,
    `select baseline, learned_until from anomaly_baselines where organization_id = ? and scope = 'key' and scope_id = ?`,
    [orgId, key.id],
  );
  const scores = await sqlRows<{ at: Date; max_score: number; requests: number }>(
    em,
    `select to_timestamp(floor(extract(epoch from started_at) / 300) * 300) as at, max(anomaly_score)::int as max_score, count(*)::int as requests
       from usage_events where organization_id = ? and key_id = ? and started_at >= now() - interval '24 hours' and anomaly_score is not null
      group by 1 order by 1`,
    [orgId, key.id],
  );
  return {
    baseline: row ? summary(row.baseline, row.learned_until) : null,
    scores: scores.map((s) => ({ at: new Date(s.at), maxScore: s.max_score, requests: s.requests })),
  };
}

function summary(b: AnomalyBaseline, learnedUntil: Date): NonNullable<KeyAnomalyType['baseline']> {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requestsPerMinute: round(b.requestsPerMinuteOverall.m),
    peakRequestsPerMinute: round(b.requestsPerMinutePeak.m),
    spendMicrosPerMinute: Math.round(b.spendPerMinuteOverall.m),
    // Sizes are learned as log2(1 + tokens).
    promptTokens: Math.max(0, Math.round(2 ** b.promptTokens.m - 1)),
    minutesLearned: Math.round(b.requestsPerMinuteOverall.n),
    models: Object.keys(b.models.seen).sort(),
    tools: Object.keys(b.tools.seen).sort(),
    clients: Object.keys(b.clients.seen).length,
    learnedUntil: new Date(learnedUntil),
  };
}
