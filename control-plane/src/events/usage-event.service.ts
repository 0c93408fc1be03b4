import type { FilterQuery } from '@mikro-orm/core';
import { filter as filterStream, pipe } from '@graphql-yoga/subscription';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { afterCursor, decodeCursor, encodeCursor, pageSize } from '../keys/paging.js';
import { usageEventTopic } from './ingest.js';
import type { UsageEventFilter, UsageEventStreamFilter } from './usage-event.input.js';
import { UsageEventRecord } from './usage-event.entity.js';
import type { UsageEventConnection, UsageEventMessage, UsageEventType } from './usage-event.type.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A page of the organization's stored events, newest first (by start time, then id). */
export async function listUsageEvents(
  ctx: GraphQLContext,
  filter: UsageEventFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<UsageEventConnection> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after);
  if (filter?.from && filter?.to && filter.from >= filter.to) {
    throw new AppError('BAD_USER_INPUT', '`filter.from` must be before `filter.to`.');
  }
  const conditions: FilterQuery<UsageEventRecord>[] = [];
  if (filter?.keyId) conditions.push({ keyId: filter.keyId });
  if (filter?.teamId) conditions.push({ teamId: filter.teamId });
  if (filter?.model) conditions.push({ model: filter.model });
  if (filter?.decision) conditions.push({ decision: filter.decision });
  if (filter?.from) conditions.push({ startedAt: { $gte: filter.from } });
  if (filter?.to) conditions.push({ startedAt: { $lt: filter.to } });
  if (cursor) conditions.push(afterCursor('startedAt', cursor) as FilterQuery<UsageEventRecord>);
  const rows = await ctx.em.find(UsageEventRecord, conditions.length > 0 ? { $and: conditions } : {}, {
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    nodes: page.map(toUsageEventType),
    pageInfo: { endCursor: last ? encodeCursor(last.startedAt, last.id) : null, hasNextPage: rows.length > limit },
  };
}

/**
 * Live events of the caller's organization only (its own topic), narrowed by the filter.
 * Arguments of a subscription are not run through the input validators, so they are checked here.
 */
export function subscribeUsageEvents(ctx: GraphQLContext, filter: UsageEventStreamFilter | null | undefined) {
  const orgId = orgOf(ctx);
  for (const field of ['keyId', 'teamId'] as const) {
    const value = filter?.[field];
    if (value != null && !UUID.test(value)) throw new AppError('BAD_USER_INPUT', `filter.${field} must be an id.`);
  }
  const source = ctx.services.pubSub.subscribe(usageEventTopic(orgId)) as AsyncIterable<UsageEventMessage>;
  return pipe(
    source,
    filterStream(
      (event: UsageEventMessage) =>
        event.orgId === orgId &&
        (filter?.keyId == null || event.keyId === filter.keyId) &&
        (filter?.teamId == null || event.teamId === filter.teamId) &&
        (filter?.model == null || event.model === filter.model) &&
        (filter?.decision == null || event.decision === filter.decision),
    ),
  );
}

/** The GraphQL view of a stored event. */
export function toUsageEventType(row: UsageEventRecord): UsageEventType {
  return {
    id: row.id,
    keyId: row.keyId,
    keyPrefix: row.keyPrefix,
    ownerLabel: row.ownerLabel,
    teamId: row.teamId,
    provider: row.provider,
    credentialId: row.credentialId,
    api: row.api,
    endpoint: row.endpoint,
    model: row.model,
    stream: row.stream,
    status: row.status,
    decision: row.decision,
    errorCode: row.errorCode,
    startedAt: row.startedAt,
    receivedAt: row.createdAt,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
    costMicros: row.costMicros,
    clientIpHash: row.clientIpHash,
    userAgentHash: row.userAgentHash,
    requestId: row.requestId,
    nodeId: row.nodeId,
    tags: row.tags,
    content: row.content,
  };
}
