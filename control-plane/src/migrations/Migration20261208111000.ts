import { Migration } from '@mikro-orm/migrations';

/** Usage events record what the HDP delegation token proved: the result, token id, principal and hop chain (empty for events stored before). */
export class Migration20261208111000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "hdp_result" text null, add column "hdp_token_id" text null,
  add column "hdp_principal_id" text null, add column "hdp_principal_type" text null, add column "hdp_chain" jsonb not null default '[]'::jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "hdp_result", drop column "hdp_token_id", drop column "hdp_principal_id",
  drop column "hdp_principal_type", drop column "hdp_chain";`);
  }
}
