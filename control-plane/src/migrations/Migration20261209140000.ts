import { Migration } from '@mikro-orm/migrations';

/**
 * When the person behind a session last proved who they are (signing in, or `reauthenticate`):
 * exports and deletions need this within the last few minutes, not just an open session.
 */
export class Migration20261209140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "sessions" add column "authenticated_at" timestamptz not null default now();`);
    this.addSql(`update "sessions" set "authenticated_at" = "created_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sessions" drop column "authenticated_at";`);
  }
}
