import { Migration } from '@mikro-orm/migrations';

export class Migration20261123040041 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "auth_throttles" ("key" varchar(80) not null, "count" int not null, "window_started_at" timestamptz not null, "locked_until" timestamptz null, constraint "auth_throttles_pkey" primary key ("key"));`,
    );

    this.addSql(
      `create table "audit_entries" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid null, "actor" varchar(80) not null, "action" varchar(120) not null, "target_id" varchar(120) null, "outcome" text check ("outcome" in ('success', 'failure')) not null, "error_code" varchar(64) null, "args" jsonb not null, "ip_hash" varchar(32) not null, "user_agent" varchar(300) not null, "request_id" varchar(128) not null, constraint "audit_entries_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_entries_organization_id_created_at_index" on "audit_entries" ("organization_id", "created_at");`);

    this.addSql(
      `create table "sign_in_codes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "email" varchar(254) not null, "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "consumed_at" timestamptz null, constraint "sign_in_codes_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "sign_in_codes_email_created_at_index" on "sign_in_codes" ("email", "created_at");`);

    this.addSql(
      `create table "teams" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null, "description" text null, constraint "teams_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "teams" add constraint "teams_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(
      `create table "sign_in_links" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "token_hash" varchar(64) not null, "user_id" uuid not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, constraint "sign_in_links_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sign_in_links" add constraint "sign_in_links_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "sessions" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "token_hash" varchar(64) not null, "user_id" uuid not null, "active_organization_id" uuid null, "expires_at" timestamptz not null, "last_seen_at" timestamptz not null default now(), "ip_hash" varchar(32) not null, "user_agent" varchar(300) not null, constraint "sessions_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(
      `create table "invitations" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "email" varchar(254) not null, "role" text check ("role" in ('owner', 'admin', 'developer', 'approver', 'auditor')) not null, "token_hash" varchar(64) not null, "invited_by_id" uuid not null, "expires_at" timestamptz not null, "accepted_at" timestamptz null, "revoked_at" timestamptz null, constraint "invitations_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "invitations" add constraint "invitations_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "invitations_organization_id_email_index" on "invitations" ("organization_id", "email");`);

    this.addSql(
      `create table "api_tokens" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null, "prefix" varchar(16) not null, "token_hash" varchar(64) not null, "role" text check ("role" in ('owner', 'admin', 'developer', 'approver', 'auditor')) not null, "created_by_id" uuid not null, "last_used_at" timestamptz null, "expires_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_tokens_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `alter table "audit_entries" add constraint "audit_entries_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete no action;`,
    );

    this.addSql(
      `alter table "teams" add constraint "teams_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "sign_in_links" add constraint "sign_in_links_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "sessions" add constraint "sessions_active_organization_id_foreign" foreign key ("active_organization_id") references "organizations" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "invitations" add constraint "invitations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "invitations" add constraint "invitations_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "api_tokens" add constraint "api_tokens_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "api_tokens" add constraint "api_tokens_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete cascade;`,
    );

    // The audit trail is append-only: rows are never updated, and only deleted once older than
    // their organization's retention (365 days for rows without an organization).
    this.addSql(`create function audit_entries_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.created_at < now() - make_interval(days => coalesce(
          (select (settings->>'retentionDays')::int from organizations where id = old.organization_id), 365)) then
          return old;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);
    this.addSql(
      `create trigger audit_entries_append_only before update or delete on "audit_entries" for each row execute function audit_entries_append_only();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists audit_entries_append_only on "audit_entries";`);
    this.addSql(`drop function if exists audit_entries_append_only();`);

    this.addSql(`drop table if exists "auth_throttles" cascade;`);

    this.addSql(`drop table if exists "audit_entries" cascade;`);

    this.addSql(`drop table if exists "sign_in_codes" cascade;`);

    this.addSql(`drop table if exists "teams" cascade;`);

    this.addSql(`drop table if exists "sign_in_links" cascade;`);

    this.addSql(`drop table if exists "sessions" cascade;`);

    this.addSql(`drop table if exists "invitations" cascade;`);

    this.addSql(`drop table if exists "api_tokens" cascade;`);
  }
}
