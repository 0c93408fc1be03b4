import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook URLs sealed: a generic webhook's URL may hold a token (in its path or query), so it is
 * stored sealed with the KMS in `sealed_url`. The plain `url` column stays for the previous
 * release; a start-up task of the new one seals the URLs found there and clears them.
 */
export class Migration20261213120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhooks" add column "sealed_url" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhooks" drop column if exists "sealed_url";`);
  }
}
