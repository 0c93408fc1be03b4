import { Migration } from '@mikro-orm/migrations';

/** Team members, and the organization's mapping of SCIM groups to teams. */
export class Migration20261209180000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "team_members" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "team_id" uuid not null, "user_id" uuid not null, constraint "team_members_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "team_members" add constraint "team_members_team_id_user_id_unique" unique ("team_id", "user_id");`);
    this.addSql(`create index "team_members_user_id_index" on "team_members" ("user_id");`);
    this.addSql(
      `create table "scim_group_teams" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "group" varchar(300) not null, "team_id" uuid not null, constraint "scim_group_teams_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "scim_group_teams" add constraint "scim_group_teams_organization_id_group_unique" unique ("organization_id", "group");`);
    for (const table of ['team_members', 'scim_group_teams']) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
      );
      this.addSql(
        `alter table "${table}" add constraint "${table}_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
      );
    }
    this.addSql(
      `alter table "team_members" add constraint "team_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scim_group_teams" cascade;`);
    this.addSql(`drop table if exists "team_members" cascade;`);
  }
}
