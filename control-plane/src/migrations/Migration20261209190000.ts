import { Migration } from '@mikro-orm/migrations';

/**
 * Requests search: usage events keep the request's custom metadata (`x-keyward-meta-*` headers)
 * and how many such headers were dropped, and the History filters by request id, provider, tag
 * and metadata are served by indexes. Rows stored before read back with no metadata.
 */
export class Migration20261209190000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "meta" jsonb not null default '[]'::jsonb, add column "meta_dropped" smallint null;`);
    this.addSql(`create index "usage_events_meta_idx" on "usage_events" using gin ("meta" jsonb_path_ops);`);
    this.addSql(`create index "usage_events_tags_idx" on "usage_events" using gin ("tags" jsonb_path_ops);`);
    this.addSql(`create index "usage_events_request_id_idx" on "usage_events" ("organization_id", "request_id");`);
    this.addSql(`create index "usage_events_provider_time_idx" on "usage_events" ("organization_id", "provider", "started_at" desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "usage_events_provider_time_idx";`);
    this.addSql(`drop index if exists "usage_events_request_id_idx";`);
    this.addSql(`drop index if exists "usage_events_tags_idx";`);
    this.addSql(`drop index if exists "usage_events_meta_idx";`);
    this.addSql(`alter table "usage_events" drop column "meta", drop column "meta_dropped";`);
  }
}
