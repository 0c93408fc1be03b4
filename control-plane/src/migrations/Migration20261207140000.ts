import { Migration } from '@mikro-orm/migrations';

/**
 * Routes and roles: a route's versions hold its document (what it matches, its strategy and
 * rules, breaker settings, targets); bindings attach it to the organization, a team or a key.
 * Usage events gain the route that chose the credential and every upstream attempt.
 */
export class Migration20261207140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "routes" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "name" varchar(200) not null, "current_version" int not null default 1, "created_by" varchar(80) not null,
  constraint "routes_pkey" primary key ("id"));`);
    this.addSql(`create index "routes_organization_id_created_at_index" on "routes" ("organization_id", "created_at");`);
    this.addSql(
      `alter table "routes" add constraint "routes_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`create table "route_versions" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "route_id" uuid not null, "version" int not null, "document" jsonb not null, "changed_by" varchar(80) not null, "note" varchar(500) null,
  constraint "route_versions_pkey" primary key ("id"));`);
    this.addSql(`alter table "route_versions" add constraint "route_versions_route_id_version_unique" unique ("route_id", "version");`);
    this.addSql(
      `alter table "route_versions" add constraint "route_versions_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "route_versions" add constraint "route_versions_route_id_foreign" foreign key ("route_id") references "routes" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`create table "route_bindings" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "route_id" uuid not null, "scope_kind" text check ("scope_kind" in ('org', 'team', 'key')) not null, "scope_id" uuid not null,
  "team_id" uuid null, "key_id" uuid null, "bound_by" varchar(80) not null,
  constraint "route_bindings_pkey" primary key ("id"));`);
    this.addSql(
      `alter table "route_bindings" add constraint "route_bindings_route_id_scope_kind_scope_id_unique" unique ("route_id", "scope_kind", "scope_id");`,
    );
    this.addSql(`create index "route_bindings_organization_id_scope_kind_scope_id_index" on "route_bindings" ("organization_id", "scope_kind", "scope_id");`);
    for (const [column, table] of [
      ['organization_id', 'organizations'],
      ['route_id', 'routes'],
      ['team_id', 'teams'],
      ['key_id', 'keys'],
    ]) {
      this.addSql(
        `alter table "route_bindings" add constraint "route_bindings_${column}_foreign" foreign key ("${column}") references "${table}" ("id") on update cascade on delete cascade;`,
      );
    }
    this.addSql(`create table "roles" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "name" varchar(64) not null, "system_prompt" text not null, "temperature" double precision null, "max_tokens" int null,
  "route_id" uuid not null, "created_by" varchar(80) not null,
  constraint "roles_pkey" primary key ("id"));`);
    this.addSql(`alter table "roles" add constraint "roles_organization_id_name_unique" unique ("organization_id", "name");`);
    this.addSql(
      `alter table "roles" add constraint "roles_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "roles" add constraint "roles_route_id_foreign" foreign key ("route_id") references "routes" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(`alter table "usage_events" add column "route_id" uuid null, add column "attempts" jsonb not null default '[]'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "route_id", drop column "attempts";`);
    this.addSql(`drop table if exists "roles" cascade;`);
    this.addSql(`drop table if exists "route_bindings" cascade;`);
    this.addSql(`drop table if exists "route_versions" cascade;`);
    this.addSql(`drop table if exists "routes" cascade;`);
  }
}
