import { Migration } from '@mikro-orm/migrations';

/**
 * Anomaly actions: what a request's score set off, on its event; each key's, team's and
 * organization's chosen response; and a key frozen, or held for approval, after an anomaly until
 * a person releases it.
 */
export class Migration20261209101000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "anomaly_action" text null;`);
    this.addSql(
      `alter table "keys" add column "anomaly_response" jsonb null, add column "frozen_at" timestamptz null, add column "frozen_reason" text null, add column "held_at" timestamptz null, add column "held_reason" text null, add column "released_at" timestamptz null, add column "anomaly_notified_at" timestamptz null;`,
    );
    this.addSql(`alter table "teams" add column "anomaly_response" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "teams" drop column "anomaly_response";`);
    this.addSql(
      `alter table "keys" drop column "anomaly_response", drop column "frozen_at", drop column "frozen_reason", drop column "held_at", drop column "held_reason", drop column "released_at", drop column "anomaly_notified_at";`,
    );
    this.addSql(`alter table "usage_events" drop column "anomaly_action";`);
  }
}
