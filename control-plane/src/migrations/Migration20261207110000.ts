import { Migration } from '@mikro-orm/migrations';

/**
 * Content retention and retention without a limit.
 *
 * - Chain links get their `format` (1: the canonical row holds the content, every link so far;
 *   2: it holds `content_digest` instead, for new usage links) and `content_digest`. Links
 *   already written keep format 1 and still verify: re-linking them would change hashes that
 *   signed checkpoints already cover. Their content is never cleared; it goes with its row.
 * - Usage events get `content_purged_at`, set when retention cleared the row's content, with a
 *   partial index on the rows that still hold content, which the purge walks by age.
 *   Organizations get the default `contentRetentionDays` (90).
 * - The admin log's append-only trigger lets a row go only once older than its organization's
 *   `retentionDays`; `null` now means "kept forever" (nothing goes), and an organization whose
 *   settings lack the key keeps the 365 days it had. Rows of no organization: 365 days.
 */
export class Migration20261207110000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "audit_chain_links" add column "format" smallint not null default 1, add column "content_digest" text null;`);
    // Every writer states the format it hashed.
    this.addSql(`alter table "audit_chain_links" alter column "format" drop default;`);
    this.addSql(`alter table "usage_events" add column "content_purged_at" timestamptz null;`);
    this.addSql(`create index "usage_events_content_kept_index" on "usage_events" ("started_at") where "content" is not null;`);
    this.addSql(
      `update "organizations" set "settings" = "settings" || '{"contentRetentionDays": 90}'::jsonb where "settings" -> 'contentRetentionDays' is null;`,
    );
    this.addSql(`create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
      declare
        days int := 365;
      begin
        if tg_op = 'DELETE' then
          if old.organization_id is not null then
            select case when o.settings -> 'retentionDays' is null then 365 else (o.settings ->> 'retentionDays')::int end into days
              from organizations o where o.id = old.organization_id;
            if not found then days := 365; end if;
          end if;
          if days is not null and old.created_at < now() - make_interval(days => days) then
            return old;
          end if;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.created_at < now() - make_interval(days => coalesce(
          (select (settings->>'retentionDays')::int from organizations where id = old.organization_id), 365)) then
          return old;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);
    this.addSql(`drop index if exists "usage_events_content_kept_index";`);
    this.addSql(`alter table "usage_events" drop column "content_purged_at";`);
    this.addSql(`alter table "audit_chain_links" drop column "format", drop column "content_digest";`);
  }
}
