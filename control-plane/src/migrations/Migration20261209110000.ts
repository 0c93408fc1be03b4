import { Migration } from '@mikro-orm/migrations';

/** MCP tool calls can be held for approval: an approval's `api` may be `mcp`. */
export class Migration20261209110000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "approval_requests" drop constraint if exists "approval_requests_api_check";`);
    this.addSql(`alter table "approval_requests" add constraint "approval_requests_api_check" check ("api" in ('openai', 'anthropic', 'gemini', 'mcp'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "approval_requests" drop constraint if exists "approval_requests_api_check";`);
    this.addSql(`alter table "approval_requests" add constraint "approval_requests_api_check" check ("api" in ('openai', 'anthropic', 'gemini'));`);
  }
}
