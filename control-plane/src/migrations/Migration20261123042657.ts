import { Migration } from '@mikro-orm/migrations';

export class Migration20261123042657 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "policies" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(200) not null, "description" text null, "enabled" boolean not null default true, "current_version" int not null default 1, "created_by" varchar(80) not null, constraint "policies_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "policies_organization_id_created_at_index" on "policies" ("organization_id", "created_at");`);

    this.addSql(
      `create table "policy_versions" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "policy_id" uuid not null, "version" int not null, "document" jsonb not null, "source" text not null, "format" text check ("format" in ('json', 'yaml')) not null, "changed_by" varchar(80) not null, "note" varchar(500) null, constraint "policy_versions_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "policy_versions" add constraint "policy_versions_policy_id_version_unique" unique ("policy_id", "version");`);

    this.addSql(
      `create table "policy_attachments" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "policy_id" uuid not null, "scope_kind" text check ("scope_kind" in ('org', 'team', 'key')) not null, "scope_id" uuid not null, "team_id" uuid null, "key_id" uuid null, "attached_by" varchar(80) not null, constraint "policy_attachments_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "policy_attachments_organization_id_scope_kind_scope_id_index" on "policy_attachments" ("organization_id", "scope_kind", "scope_id");`,
    );
    this.addSql(
      `alter table "policy_attachments" add constraint "policy_attachments_policy_id_scope_kind_scope_id_unique" unique ("policy_id", "scope_kind", "scope_id");`,
    );

    this.addSql(
      `alter table "policies" add constraint "policies_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "policy_versions" add constraint "policy_versions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "policy_versions" add constraint "policy_versions_policy_id_foreign" foreign key ("policy_id") references "policies" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "policy_attachments" add constraint "policy_attachments_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "policy_attachments" add constraint "policy_attachments_policy_id_foreign" foreign key ("policy_id") references "policies" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "policy_attachments" add constraint "policy_attachments_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "policy_attachments" add constraint "policy_attachments_key_id_foreign" foreign key ("key_id") references "keys" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "policy_versions" drop constraint "policy_versions_policy_id_foreign";`);

    this.addSql(`alter table "policy_attachments" drop constraint "policy_attachments_policy_id_foreign";`);

    this.addSql(`drop table if exists "policies" cascade;`);

    this.addSql(`drop table if exists "policy_versions" cascade;`);

    this.addSql(`drop table if exists "policy_attachments" cascade;`);
  }
}
