import { Migration } from '@mikro-orm/migrations';

/** A key pool may send its keys through a route instead of naming credentials. */
export class Migration20261209151000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "key_pools" add column "route_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "key_pools" drop column "route_id";`);
  }
}
