import { isUuid } from '@keyward/shared';
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { MetaEntry, PolicyMatchRecord } from '@keyward/shared';
import { filter as filterStream, pipe } from '@graphql-yoga/subscription';
import { AppError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { orgOf } from '../keys/key.service.js';
import { afterCursor, decodeCursor, encodeCursor, pageSize } from '../keys/paging.js';
import { contentMatches } from './content-search.js';
import { toUsageEventMessage } from './event-columns.js';
import { usageEventTopic } from './ingest.js';
import type { MetaFilter, UsageEventFilter, UsageEventStreamFilter } from './usage-event.input.js';
import { UsageEventRecord } from './usage-event.entity.js';
import type { UsageEventConnection, UsageEventMessage, UsageEventType } from './usage-event.type.js';

/** Filter fields an event matches by being equal to them, the same for stored and live events. */
const EXACT_FIELDS = ['keyId', 'teamId', 'model', 'decision', 'requestId', 'provider', 'mcpServer', 'mcpTool'] as const;

/** Whether a filter field was given (an empty text asks for nothing, as an absent one). */
function given<T>(value: T | null | undefined): value is T {
  return value != null && value !== '';
}

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
  for (const field of EXACT_FIELDS) {
    const value = filter?.[field];
    if (given(value)) conditions.push({ [field]: value });
  }
  if (given(filter?.statusClass)) conditions.push({ status: { $gte: filter.statusClass * 100, $lt: filter.statusClass * 100 + 100 } });
  const match = policyMatchPattern(filter);
  if (match) conditions.push(jsonContains('policy_matches', [match]));
  if (given(filter?.tag)) conditions.push(jsonContains('tags', [filter.tag]));
  if (filter?.meta) conditions.push(jsonContains('meta', [metaPattern(filter.meta)]));
  if (filter?.search?.trim()) conditions.push(contentMatches(filter.search));
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
  for (const field of ['keyId', 'teamId', 'policyId'] as const) {
    const value = filter?.[field];
    if (value != null && !isUuid(value)) throw new AppError('BAD_USER_INPUT', `filter.${field} must be an id.`);
  }
  const source = ctx.services.pubSub.subscribe(usageEventTopic(orgId)) as AsyncIterable<UsageEventMessage>;
  return pipe(
    source,
    filterStream(
      (event: UsageEventMessage) =>
        event.orgId === orgId &&
        EXACT_FIELDS.every((field) => !given(filter?.[field]) || event[field] === filter[field]) &&
        (!given(filter?.statusClass) || Math.floor(event.status / 100) === filter.statusClass) &&
        (!given(filter?.tag) || event.tags.includes(filter.tag)) &&
        matchesMetaFilter(event, filter?.meta) &&
        matchesPolicyFilter(event, filter),
    ),
  );
}

/** A condition that a jsonb column contains `pattern` (served by the column's `jsonb_path_ops` index). */
function jsonContains(column: 'policy_matches' | 'tags' | 'meta', pattern: unknown[]): FilterQuery<UsageEventRecord> {
  return { [raw(`${column} @> ?::jsonb`, [JSON.stringify(pattern)])]: true } as FilterQuery<UsageEventRecord>;
}

/** The metadata entry a filter asks for; header names are recorded in lower case. */
function metaPattern(meta: MetaFilter): MetaEntry {
  return { name: meta.name.toLowerCase(), value: meta.value };
}

function matchesMetaFilter(event: UsageEventMessage, meta: MetaFilter | null | undefined): boolean {
  if (!meta) return true;
  const wanted = metaPattern(meta);
  return event.meta.some((m) => m.name === wanted.name && m.value === wanted.value);
}

/** The part of a policy match a filter asks for, or null when it asks for none. */
function policyMatchPattern(filter: UsageEventStreamFilter | null | undefined): Partial<PolicyMatchRecord> | null {
  if (!filter?.policyId && !filter?.ruleId) return null;
  return { ...(filter.policyId ? { policyId: filter.policyId } : {}), ...(filter.ruleId ? { ruleId: filter.ruleId } : {}) };
}

/** Whether one of an event's policy matches has the filter's policy and rule. */
function matchesPolicyFilter(event: UsageEventMessage, filter: UsageEventStreamFilter | null | undefined): boolean {
  const pattern = policyMatchPattern(filter);
  if (!pattern) return true;
  return event.policyMatches.some(
    (m) => (pattern.policyId === undefined || m.policyId === pattern.policyId) && (pattern.ruleId === undefined || m.ruleId === pattern.ruleId),
  );
}

/** The GraphQL view of a stored event entity (its properties carry the field table's names). */
function toUsageEventType(row: UsageEventRecord): UsageEventType {
  return toUsageEventMessage({ ...row, orgId: row.organization.id, receivedAt: row.createdAt });
}
