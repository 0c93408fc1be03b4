import { Migration } from '@mikro-orm/migrations';

/**
 * Verification-only checkpoint-signing keys: a key imported with an organization archive has
 * its public half only, so the sealed private-key columns of `audit_signing_keys` become
 * nullable. A key without a private half is published and verifies, and never signs.
 */
export class Migration20261211090000 extends Migration {
  override async up(): Promise<void> {
    for (const column of ['kek_id', 'wrapped_key', 'iv', 'ciphertext', 'tag'])
      this.addSql(`alter table "audit_signing_keys" alter column "${column}" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "audit_signing_keys" where "ciphertext" is null;`);
    for (const column of ['kek_id', 'wrapped_key', 'iv', 'ciphertext', 'tag'])
      this.addSql(`alter table "audit_signing_keys" alter column "${column}" set not null;`);
  }
}
