import { Migration } from '@mikro-orm/migrations';

/**
 * Usage events keep the policy rules that matched (shadow matches included) and the approval a
 * held call waited on. Rows stored before this migration read back with no matches and no approval.
 */
export class Migration20261206203000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "policy_matches" jsonb not null default '[]'::jsonb, add column "approval_id" uuid null;`);
    this.addSql(`create index "usage_events_policy_matches_idx" on "usage_events" using gin ("policy_matches" jsonb_path_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "usage_events_policy_matches_idx";`);
    this.addSql(`alter table "usage_events" drop column "policy_matches", drop column "approval_id";`);
  }
}
