import { Migration } from '@mikro-orm/migrations';

export class Migration20261123040121 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "config_versions" ("version" bigint not null, "org_id" uuid not null, "collections" jsonb not null, "reason" varchar(200) not null, "created_at" timestamptz not null default now(), constraint "config_versions_pkey" primary key ("version"));`,
    );
    this.addSql(`create index "config_versions_org_id_version_index" on "config_versions" ("org_id", "version");`);

    this.addSql(
      `create table "node_tokens" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid null, "name" varchar(120) not null, "prefix" varchar(16) not null, "token_hash" varchar(64) not null, "source" text check ("source" in ('environment', 'api')) not null, "created_by" varchar(80) null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "node_tokens_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "node_tokens" add constraint "node_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "nodes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "token_id" uuid not null, "organization_id" uuid null, "node_id" varchar(128) not null, "hostname" varchar(255) null, "software_version" varchar(64) null, "config_version" int not null default 0, "event_backlog" int not null default 0, "last_seen_at" timestamptz not null default now(), constraint "nodes_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "nodes" add constraint "nodes_token_id_node_id_unique" unique ("token_id", "node_id");`);

    this.addSql(
      `create table "credentials" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "provider" text check ("provider" in ('openai', 'anthropic', 'gemini', 'openai_compatible')) not null, "name" varchar(120) not null, "base_url" text null, "models" jsonb not null, "last_four" varchar(4) not null, "secret_version" int not null default 1, "rotated_at" timestamptz null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "credentials_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "credentials" add constraint "credentials_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(
      `create table "keys" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null, "owner_label" varchar(200) not null, "team_id" uuid null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "status" text check ("status" in ('active', 'revoked')) not null default 'active', "expires_at" timestamptz null, "revoked_at" timestamptz null, "rotated_at" timestamptz null, "allowed_models" jsonb not null, "credential_ids" jsonb not null, "labels" jsonb not null, "last_used_at" timestamptz null, "request_count" bigint not null default 0, "input_tokens" bigint not null default 0, "output_tokens" bigint not null default 0, "cached_input_tokens" bigint not null default 0, "cost_micros" bigint not null default 0, constraint "keys_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "keys" add constraint "keys_secret_hash_unique" unique ("secret_hash");`);
    this.addSql(`create index "keys_organization_id_created_at_index" on "keys" ("organization_id", "created_at");`);

    this.addSql(
      `create table "key_secrets" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "key_id" uuid not null, "secret_hash" varchar(64) not null, "prefix" varchar(16) not null, "grace_until" timestamptz not null, constraint "key_secrets_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "key_secrets" add constraint "key_secrets_secret_hash_unique" unique ("secret_hash");`);
    this.addSql(`create index "key_secrets_key_id_grace_until_index" on "key_secrets" ("key_id", "grace_until");`);

    this.addSql(
      `create table "usage_events" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "key_id" uuid not null, "key_prefix" text not null, "owner_label" text not null, "team_id" uuid null, "provider" text null, "credential_id" uuid null, "api" text not null, "endpoint" text not null, "model" text null, "stream" boolean not null, "status" smallint not null, "decision" text not null, "error_code" text null, "started_at" timestamptz not null, "latency_ms" bigint not null, "ttft_ms" bigint null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cached_input_tokens" bigint not null, "cost_micros" bigint not null, "client_ip_hash" text not null, "user_agent_hash" text not null, "request_id" text not null, "node_id" text not null, "tags" jsonb not null, "content" jsonb null, constraint "usage_events_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "usage_events_decision_time_idx" on "usage_events" ("organization_id", "decision", "started_at" desc);`);
    this.addSql(`create index "usage_events_model_time_idx" on "usage_events" ("organization_id", "model", "started_at" desc);`);
    this.addSql(`create index "usage_events_key_time_idx" on "usage_events" ("organization_id", "key_id", "started_at" desc);`);
    this.addSql(`create index "usage_events_org_time_idx" on "usage_events" ("organization_id", "started_at" desc, "id" desc);`);

    this.addSql(
      `alter table "node_tokens" add constraint "node_tokens_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "nodes" add constraint "nodes_token_id_foreign" foreign key ("token_id") references "node_tokens" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "nodes" add constraint "nodes_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "credentials" add constraint "credentials_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "keys" add constraint "keys_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "keys" add constraint "keys_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "key_secrets" add constraint "key_secrets_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "key_secrets" add constraint "key_secrets_key_id_foreign" foreign key ("key_id") references "keys" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "usage_events" add constraint "usage_events_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "nodes" drop constraint "nodes_token_id_foreign";`);

    this.addSql(`alter table "key_secrets" drop constraint "key_secrets_key_id_foreign";`);

    this.addSql(`drop table if exists "config_versions" cascade;`);

    this.addSql(`drop table if exists "node_tokens" cascade;`);

    this.addSql(`drop table if exists "nodes" cascade;`);

    this.addSql(`drop table if exists "credentials" cascade;`);

    this.addSql(`drop table if exists "keys" cascade;`);

    this.addSql(`drop table if exists "key_secrets" cascade;`);

    this.addSql(`drop table if exists "usage_events" cascade;`);
  }
}
