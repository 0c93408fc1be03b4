import { Migration } from '@mikro-orm/migrations';

/** Each MCP server's per-tool rate limits and prices. */
export class Migration20261209112000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "mcp_servers" add column "tool_settings" jsonb not null default '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "mcp_servers" drop column "tool_settings";`);
  }
}
