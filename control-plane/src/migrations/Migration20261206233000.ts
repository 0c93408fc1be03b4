import { Migration } from '@mikro-orm/migrations';

export class Migration20261206233000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "config_versions" add column "changes" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "config_versions" drop column "changes";`);
  }
}
