import { Migration } from '@mikro-orm/migrations';

/**
 * Key pools and their recipients: a pool holds what each recipient's key gets and its default
 * limits; a recipient row ties an email to its key, its own budget and rate limit, and the
 * hash of its delivery link. Recipients sign in to their own page with an emailed code
 * (`recipient_codes`) into a session of their own (`recipient_sessions`), not an account.
 */
export class Migration20261208140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "key_pools" (
  "id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null,
  "name" varchar(120) not null, "note" varchar(2000) null, "credential_ids" jsonb not null, "allowed_models" jsonb not null, "labels" jsonb not null,
  "budget_period" varchar(16) not null, "budget_micros" bigint null, "requests_per_minute" int null, "tokens_per_minute" int null,
  "concurrent_requests" int null, "key_expires_at" timestamptz null, "key_lifetime_days" int null, "cap_budget_id" uuid null,
  "status" text check ("status" in ('active', 'paused')) not null default 'active', "expires_at" timestamptz null,
  constraint "key_pools_pkey" primary key ("id"));`);
    this.addSql(`create index "key_pools_organization_id_created_at_index" on "key_pools" ("organization_id", "created_at");`);
    this.addSql(
      `alter table "key_pools" add constraint "key_pools_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`create table "pool_recipients" (
  "id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null,
  "pool_id" uuid not null, "email" varchar(254) not null, "name" varchar(200) not null, "key_id" uuid not null,
  "budget_id" uuid null, "rate_limit_id" uuid null, "paused_at" timestamptz null, "link_hash" varchar(64) null,
  "link_expires_at" timestamptz null, "link_sent_at" timestamptz null, "link_used_at" timestamptz null, "revealed_at" timestamptz null,
  constraint "pool_recipients_pkey" primary key ("id"));`);
    this.addSql(`alter table "pool_recipients" add constraint "pool_recipients_pool_id_email_unique" unique ("pool_id", "email");`);
    this.addSql(`alter table "pool_recipients" add constraint "pool_recipients_link_hash_unique" unique ("link_hash");`);
    this.addSql(`create index "pool_recipients_organization_id_email_index" on "pool_recipients" ("organization_id", "email");`);
    this.addSql(`create index "pool_recipients_key_id_index" on "pool_recipients" ("key_id");`);
    for (const [column, table] of [
      ['organization_id', 'organizations'],
      ['pool_id', 'key_pools'],
      ['key_id', 'keys'],
    ]) {
      this.addSql(
        `alter table "pool_recipients" add constraint "pool_recipients_${column}_foreign" foreign key ("${column}") references "${table}" ("id") on update cascade on delete cascade;`,
      );
    }
    this.addSql(`create table "recipient_codes" (
  "id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "consumed_at" timestamptz null,
  "email" varchar(254) not null,
  constraint "recipient_codes_pkey" primary key ("id"));`);
    this.addSql(`create index "recipient_codes_email_created_at_index" on "recipient_codes" ("email", "created_at");`);
    this.addSql(`create table "recipient_sessions" (
  "id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "email" varchar(254) not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null,
  constraint "recipient_sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "recipient_sessions" add constraint "recipient_sessions_token_hash_unique" unique ("token_hash");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "recipient_sessions" cascade;`);
    this.addSql(`drop table if exists "recipient_codes" cascade;`);
    this.addSql(`drop table if exists "pool_recipients" cascade;`);
    this.addSql(`drop table if exists "key_pools" cascade;`);
  }
}
