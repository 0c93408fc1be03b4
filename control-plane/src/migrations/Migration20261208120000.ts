import { Migration } from '@mikro-orm/migrations';

/**
 * Usage events carry what anomaly scoring learns from and what the node scored: the user
 * agent's family hash, the tools offered, the score and its reasons (empty for events stored before).
 */
export class Migration20261208120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "user_agent_family_hash" text null;`);
    this.addSql(`alter table "usage_events" add column "tools_offered" jsonb not null default '[]'::jsonb;`);
    this.addSql(`alter table "usage_events" add column "anomaly_score" smallint null;`);
    this.addSql(`alter table "usage_events" add column "anomaly_reasons" jsonb not null default '[]'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "user_agent_family_hash";`);
    this.addSql(`alter table "usage_events" drop column "tools_offered";`);
    this.addSql(`alter table "usage_events" drop column "anomaly_score";`);
    this.addSql(`alter table "usage_events" drop column "anomaly_reasons";`);
  }
}
