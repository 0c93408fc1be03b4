import { Migration } from '@mikro-orm/migrations';

/** Usage events say whether the response cache answered (`cacheHit`), false for events stored before; keys get their response cache setting. */
export class Migration20261207160000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "usage_events" add column "cache_hit" boolean not null default false;`);
    this.addSql(`alter table "keys" add column "cache_ttl_seconds" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "cache_hit";`);
    this.addSql(`alter table "keys" drop column "cache_ttl_seconds";`);
  }
}
