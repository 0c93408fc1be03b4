import { Migration } from '@mikro-orm/migrations';

/**
 * Full-text search over captured content: an expression GIN index on the words of a usage
 * event's captured prompt and completion (`events/content-search.ts` queries the same
 * expression). Events without captured content, or whose content retention cleared, have no
 * words and are never found.
 */
export class Migration20261209203000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "usage_events_content_search_idx" on "usage_events" using gin (to_tsvector('english'::regconfig, left(coalesce("content" ->> 'request', '') || ' ' || coalesce("content" ->> 'response', ''), 200000))) where "content" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "usage_events_content_search_idx";`);
  }
}
