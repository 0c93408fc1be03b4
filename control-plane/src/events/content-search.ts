import { raw, type FilterQuery } from '@mikro-orm/core';
import type { UsageEventRecord } from './usage-event.entity.js';

/**
 * SQL: the words of an event's captured prompt and completion, English-stemmed, from the first
 * 200,000 characters (a node captures 64 KiB of each). The index `usage_events_content_search_idx`
 * is on exactly this expression, for rows with content.
 */
export const CONTENT_WORDS = `to_tsvector('english'::regconfig, left(coalesce("content" ->> 'request', '') || ' ' || coalesce("content" ->> 'response', ''), 200000))`;

/** The index's definition, as the migration creates it. */
export const CONTENT_SEARCH_INDEX = `create index "usage_events_content_search_idx" on "usage_events" using gin (${CONTENT_WORDS}) where "content" is not null`;

/**
 * A condition that an event's captured content has the words of `search`, written as people
 * type into a search box (`websearch_to_tsquery`: words, "quoted phrases", `or`, `-excluded`).
 * Events without captured content (capture off, or cleared by content retention) never match.
 */
export function contentMatches(search: string): FilterQuery<UsageEventRecord> {
  return {
    [raw(`"content" is not null and ${CONTENT_WORDS} @@ websearch_to_tsquery('english'::regconfig, ?)`, [search])]: true,
  } as FilterQuery<UsageEventRecord>;
}
