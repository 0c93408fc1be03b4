import { Migration } from '@mikro-orm/migrations';

/** Usage events carry the W3C trace id of their request (`traceId`), null for events stored before. */
export class Migration20261207130000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "trace_id" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "trace_id";`);
  }
}
