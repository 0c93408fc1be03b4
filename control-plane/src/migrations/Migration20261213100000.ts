import { Migration } from '@mikro-orm/migrations';

/**
 * Quarter-hour usage rollups: the same sums as the hourly ones per UTC quarter hour, written by
 * event ingestion, so the Overview splits an hour where a local day starts inside it (time zones
 * offset by a half or three quarters of an hour). Events stored before this migration are added
 * once here; hours whose events retention already deleted keep their hourly figures only.
 */
export class Migration20261213100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "usage_quarter_rollups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "key_id" uuid not null, "model" text not null, "provider" text not null, "decision" text not null, "requests" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cost_micros" bigint not null, "quarter" timestamptz not null, constraint "usage_quarter_rollups_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create unique index "usage_quarter_rollups_bucket_unique" on "usage_quarter_rollups" ("organization_id", "quarter", "key_id", "model", "provider", "decision");`,
    );
    this.addSql(
      `alter table "usage_quarter_rollups" add constraint "usage_quarter_rollups_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `insert into usage_quarter_rollups (id, created_at, updated_at, organization_id, quarter, key_id, model, provider, decision, requests, input_tokens, output_tokens, cost_micros)
       select gen_random_uuid(), now(), now(), e.organization_id, date_bin('15 minutes', e.started_at, timestamptz '2000-01-01 00:00:00+00'), e.key_id,
         coalesce(e.model, ''), coalesce(e.provider, ''), e.decision, count(*), sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micros)
       from usage_events e
       group by 4, 5, 6, 7, 8, 9;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "usage_quarter_rollups" cascade;`);
  }
}
