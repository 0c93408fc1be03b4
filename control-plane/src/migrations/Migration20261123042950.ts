import { Migration } from '@mikro-orm/migrations';

export class Migration20261123042950 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "approval_requests" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "key_id" uuid not null, "node_token_id" uuid not null, "node_id" varchar(200) not null, "request_id" varchar(200) not null, "phase" text check ("phase" in ('request', 'response')) not null, "reason_kind" text check ("reason_kind" in ('policy', 'budget')) not null, "policy_id" uuid null, "policy_version" int null, "rule_id" varchar(200) null, "budget_id" uuid null, "api" text check ("api" in ('openai', 'anthropic', 'gemini')) not null, "endpoint" varchar(200) not null, "model" varchar(200) null, "summary" jsonb not null, "expires_at" timestamptz not null, "on_timeout" text check ("on_timeout" in ('allow', 'block')) not null, "status" text check ("status" in ('pending', 'approved', 'rejected', 'expired', 'forwarded', 'refused', 'node_lost')) not null default 'pending', "decision" text check ("decision" in ('approved', 'rejected', 'expired')) null, "decided_by" varchar(80) null, "decision_reason" varchar(500) null, "decided_at" timestamptz null, "outcome" varchar(32) null, "outcome_at" timestamptz null, constraint "approval_requests_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "approval_requests_node_token_id_node_id_outcome_index" on "approval_requests" ("node_token_id", "node_id", "outcome");`);
    this.addSql(`create index "approval_requests_status_expires_at_index" on "approval_requests" ("status", "expires_at");`);
    this.addSql(`create index "approval_requests_organization_id_created_at_index" on "approval_requests" ("organization_id", "created_at");`);

    this.addSql(
      `create table "approval_link_uses" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "approval_id" uuid not null, "action" text check ("action" in ('approve', 'reject')) not null, constraint "approval_link_uses_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "approval_events" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "approval_id" uuid not null, "type" text check ("type" in ('requested', 'notified', 'notify_failed', 'approved', 'rejected', 'expired', 'outcome')) not null, "actor" varchar(80) not null, "channel" varchar(80) null, "detail" varchar(500) null, constraint "approval_events_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "approval_events_approval_id_created_at_index" on "approval_events" ("approval_id", "created_at");`);

    this.addSql(
      `create table "webhooks" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kind" text check ("kind" in ('webhook', 'slack')) not null, "url" text null, "url_hint" varchar(300) not null, "events" jsonb not null, "created_by" varchar(80) not null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "webhooks_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webhooks_organization_id_created_at_index" on "webhooks" ("organization_id", "created_at");`);

    this.addSql(
      `create table "webhook_deliveries" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "webhook_id" uuid not null, "event" varchar(64) not null, "subject_id" uuid null, "payload" jsonb not null, "status" text check ("status" in ('pending', 'delivered', 'failed')) not null default 'pending', "attempts" int not null default 0, "last_status_code" smallint null, "last_error" varchar(300) null, "next_attempt_at" timestamptz not null, "delivered_at" timestamptz null, constraint "webhook_deliveries_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webhook_deliveries_webhook_id_created_at_index" on "webhook_deliveries" ("webhook_id", "created_at");`);
    this.addSql(`create index "webhook_deliveries_status_next_attempt_at_index" on "webhook_deliveries" ("status", "next_attempt_at");`);

    this.addSql(
      `alter table "approval_requests" add constraint "approval_requests_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "approval_requests" add constraint "approval_requests_key_id_foreign" foreign key ("key_id") references "keys" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "approval_link_uses" add constraint "approval_link_uses_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "approval_link_uses" add constraint "approval_link_uses_approval_id_foreign" foreign key ("approval_id") references "approval_requests" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "approval_events" add constraint "approval_events_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "approval_events" add constraint "approval_events_approval_id_foreign" foreign key ("approval_id") references "approval_requests" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "webhooks" add constraint "webhooks_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "approval_link_uses" drop constraint "approval_link_uses_approval_id_foreign";`);

    this.addSql(`alter table "approval_events" drop constraint "approval_events_approval_id_foreign";`);

    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_webhook_id_foreign";`);

    this.addSql(`drop table if exists "approval_requests" cascade;`);

    this.addSql(`drop table if exists "approval_link_uses" cascade;`);

    this.addSql(`drop table if exists "approval_events" cascade;`);

    this.addSql(`drop table if exists "webhooks" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
  }
}
