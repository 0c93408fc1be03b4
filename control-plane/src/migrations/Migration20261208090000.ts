import { Migration } from '@mikro-orm/migrations';

/** Nodes report the route targets whose circuit is not closed with each heartbeat (`open_circuits`). */
export class Migration20261208090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "nodes" add column "open_circuits" jsonb not null default '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "nodes" drop column "open_circuits";`);
  }
}
