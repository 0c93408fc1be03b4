import { Migration } from '@mikro-orm/migrations';

/** Public keys trusted to sign HDP delegation tokens, per organization; keys may require a valid token (`require_provenance`). */
export class Migration20261208110000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "hdp_trusted_issuers" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "kid" varchar(200) not null, "public_key" varchar(43) not null, "agent_id" varchar(200) null, "name" varchar(120) not null,
  constraint "hdp_trusted_issuers_pkey" primary key ("id"));`);
    this.addSql(`alter table "hdp_trusted_issuers" add constraint "hdp_trusted_issuers_organization_id_kid_unique" unique ("organization_id", "kid");`);
    this.addSql(
      `alter table "hdp_trusted_issuers" add constraint "hdp_trusted_issuers_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`alter table "keys" add column "require_provenance" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "hdp_trusted_issuers" cascade;`);
    this.addSql(`alter table "keys" drop column "require_provenance";`);
  }
}
