import { Migration } from '@mikro-orm/migrations';

/** MCP access granted to every key of a team, or of the organization (`team_id` null): one row each. */
export class Migration20261209111000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "mcp_access_grants" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "team_id" uuid null, "access" jsonb not null, constraint "mcp_access_grants_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "mcp_access_grants" add constraint "mcp_access_grants_organization_id_team_id_unique" unique nulls not distinct ("organization_id", "team_id");`,
    );
    this.addSql(
      `alter table "mcp_access_grants" add constraint "mcp_access_grants_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "mcp_access_grants" add constraint "mcp_access_grants_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mcp_access_grants" cascade;`);
  }
}
