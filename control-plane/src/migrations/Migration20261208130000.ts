import { Migration } from '@mikro-orm/migrations';

/**
 * Single sign-on: each organization's OpenID Connect provider (client secret sealed), the
 * sign-ins waiting for it, and the organization a session started by it is confined to.
 */
export class Migration20261208130000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "sso_connections" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "issuer" text not null, "client_id" varchar(300) not null, "email_domains" jsonb not null, "default_role" text check ("default_role" in ('owner', 'admin', 'developer', 'approver', 'auditor')) not null, "groups_claim" varchar(100) not null default 'groups', "group_roles" jsonb not null default '[]', "require_sso" boolean not null default false, "updated_by" varchar(80) not null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "sso_connections_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sso_connections" add constraint "sso_connections_organization_id_unique" unique ("organization_id");`);
    this.addSql(
      `alter table "sso_connections" add constraint "sso_connections_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `create table "sso_sign_in_attempts" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "state_hash" varchar(64) not null, "purpose" text check ("purpose" in ('sign_in', 'test')) not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, constraint "sso_sign_in_attempts_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "sso_sign_in_attempts" add constraint "sso_sign_in_attempts_state_hash_unique" unique ("state_hash");`);
    this.addSql(
      `alter table "sso_sign_in_attempts" add constraint "sso_sign_in_attempts_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`alter table "sessions" add column "sso_organization_id" uuid null;`);
    this.addSql(
      `alter table "sessions" add constraint "sessions_sso_organization_id_foreign" foreign key ("sso_organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sessions" drop column "sso_organization_id";`);
    this.addSql(`drop table if exists "sso_sign_in_attempts" cascade;`);
    this.addSql(`drop table if exists "sso_connections" cascade;`);
  }
}
