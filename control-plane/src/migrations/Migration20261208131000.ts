import { Migration } from '@mikro-orm/migrations';

/** SCIM provisioning: organization SCIM tokens (hashed), provisioned users and groups. */
export class Migration20261208131000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "scim_tokens" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null, "prefix" varchar(16) not null, "token_hash" varchar(64) not null, "created_by" varchar(80) not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "scim_tokens_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "scim_tokens" add constraint "scim_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(
      `create table "scim_users" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "user_id" uuid not null, "user_name" varchar(254) not null, "external_id" varchar(300) null, "active" boolean not null, "given_name" varchar(120) null, "family_name" varchar(120) null, "emails" jsonb not null default '[]', constraint "scim_users_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "scim_users" add constraint "scim_users_organization_id_user_name_unique" unique ("organization_id", "user_name");`);
    this.addSql(`alter table "scim_users" add constraint "scim_users_organization_id_user_id_unique" unique ("organization_id", "user_id");`);
    this.addSql(
      `create table "scim_groups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "display_name" varchar(200) not null, "external_id" varchar(300) null, "member_ids" jsonb not null default '[]', constraint "scim_groups_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "scim_groups" add constraint "scim_groups_organization_id_display_name_unique" unique ("organization_id", "display_name");`);
    for (const table of ['scim_tokens', 'scim_users', 'scim_groups']) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
      );
    }
    this.addSql(
      `alter table "scim_users" add constraint "scim_users_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scim_groups" cascade;`);
    this.addSql(`drop table if exists "scim_users" cascade;`);
    this.addSql(`drop table if exists "scim_tokens" cascade;`);
  }
}
