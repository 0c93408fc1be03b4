import { Migration } from '@mikro-orm/migrations';

/** Learned anomaly baselines per key, team and organization (`anomaly/learn-baselines.ts`). */
export class Migration20261209100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "anomaly_baselines" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "scope" varchar(16) not null, "scope_id" uuid not null, "baseline" jsonb not null, "learned_until" timestamptz not null, constraint "anomaly_baselines_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "anomaly_baselines" add constraint "anomaly_baselines_scope_scope_id_unique" unique ("scope", "scope_id");`);
    this.addSql(`create index "anomaly_baselines_organization_id_index" on "anomaly_baselines" ("organization_id");`);
    this.addSql(
      `alter table "anomaly_baselines" add constraint "anomaly_baselines_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "anomaly_baselines" cascade;`);
  }
}
