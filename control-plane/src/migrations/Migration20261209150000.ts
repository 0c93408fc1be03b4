import { Migration } from '@mikro-orm/migrations';

/**
 * Limit hits and expiries of pool recipients' keys already reported: one row per key, kind and
 * period, claimed before the audit record and the notification, so each is reported once.
 */
export class Migration20261209150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "pool_key_notices" (
  "id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null,
  "key_id" uuid not null, "kind" varchar(32) not null, "period_key" varchar(40) not null,
  constraint "pool_key_notices_pkey" primary key ("id"));`);
    this.addSql(`alter table "pool_key_notices" add constraint "pool_key_notices_key_id_kind_period_key_unique" unique ("key_id", "kind", "period_key");`);
    this.addSql(
      `alter table "pool_key_notices" add constraint "pool_key_notices_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pool_key_notices" cascade;`);
  }
}
