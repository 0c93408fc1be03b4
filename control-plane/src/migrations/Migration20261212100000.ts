import { Migration } from '@mikro-orm/migrations';

/**
 * Hourly usage rollups: per organization, UTC hour, key, model, provider and decision, requests,
 * tokens and spend, written by event ingestion for the Overview screen. Events stored before this
 * migration are added once here.
 */
export class Migration20261212100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "usage_hour_rollups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "hour" timestamptz not null, "key_id" uuid not null, "model" text not null, "provider" text not null, "decision" text not null, "requests" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cost_micros" bigint not null, constraint "usage_hour_rollups_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create unique index "usage_hour_rollups_bucket_unique" on "usage_hour_rollups" ("organization_id", "hour", "key_id", "model", "provider", "decision");`,
    );
    this.addSql(
      `alter table "usage_hour_rollups" add constraint "usage_hour_rollups_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `insert into usage_hour_rollups (id, created_at, updated_at, organization_id, hour, key_id, model, provider, decision, requests, input_tokens, output_tokens, cost_micros)
       select gen_random_uuid(), now(), now(), e.organization_id, date_trunc('hour', e.started_at at time zone 'UTC') at time zone 'UTC', e.key_id,
         coalesce(e.model, ''), coalesce(e.provider, ''), e.decision, count(*), sum(e.input_tokens), sum(e.output_tokens), sum(e.cost_micros)
       from usage_events e
       group by 4, 5, 6, 7, 8, 9;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "usage_hour_rollups" cascade;`);
  }
}
