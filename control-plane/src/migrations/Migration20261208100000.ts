import { Migration } from '@mikro-orm/migrations';

/** MCP servers as upstreams (their secret sealed like a credential's), the MCP servers and tools each key may call, and tool calls on usage events. */
export class Migration20261208100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "mcp_servers" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(63) not null, "url" text not null, "auth" jsonb not null, "last_four" varchar(4) not null, "secret_version" int not null default 1, "rotated_at" timestamptz null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "mcp_servers_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "mcp_servers" add constraint "mcp_servers_organization_id_name_unique" unique ("organization_id", "name");`);
    this.addSql(
      `alter table "mcp_servers" add constraint "mcp_servers_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`alter table "keys" add column "mcp_access" jsonb not null default '[]';`);
    this.addSql(`alter table "usage_events" add column "mcp_server" text null, add column "mcp_tool" text null, add column "result_bytes" bigint null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mcp_servers" cascade;`);
    this.addSql(`alter table "keys" drop column "mcp_access";`);
    this.addSql(`alter table "usage_events" drop column "mcp_server", drop column "mcp_tool", drop column "result_bytes";`);
  }
}
