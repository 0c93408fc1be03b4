import { Migration } from '@mikro-orm/migrations';

/**
 * Audit sinks: where an organization's audit chains are exported (settings, sealed secret,
 * paused), one delivery cursor per sink and chain, and the batches a receiver refused for good.
 */
export class Migration20261207100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_sinks" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, "name" varchar(80) not null, "kind" text check ("kind" in ('https', 'splunk', 'otlp', 'syslog', 's3')) not null, "format" text check ("format" in ('keyward', 'ocsf')) not null, "chains" jsonb not null, "settings" jsonb not null, "paused" boolean not null default false, "created_by" varchar(80) not null, constraint "audit_sinks_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_sinks_organization_id_created_at_index" on "audit_sinks" ("organization_id", "created_at");`);

    this.addSql(
      `create table "audit_sink_dead_letters" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "sink_id" uuid not null, "chain" text not null, "from_seq" bigint not null, "to_seq" bigint not null, "attempts" int not null, "error" varchar(300) not null, constraint "audit_sink_dead_letters_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_sink_dead_letters_sink_id_created_at_index" on "audit_sink_dead_letters" ("sink_id", "created_at");`);

    this.addSql(
      `create table "audit_sink_cursors" ("sink_id" uuid not null, "chain" text not null, "delivered_seq" bigint not null, "attempts" int not null default 0, "last_error" varchar(300) null, "last_error_at" timestamptz null, "last_delivered_at" timestamptz null, "next_attempt_at" timestamptz not null default now(), "lease_until" timestamptz null, "updated_at" timestamptz not null default now(), constraint "audit_sink_cursors_pkey" primary key ("sink_id", "chain"));`,
    );

    this.addSql(
      `alter table "audit_sinks" add constraint "audit_sinks_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "audit_sink_dead_letters" add constraint "audit_sink_dead_letters_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "audit_sink_dead_letters" add constraint "audit_sink_dead_letters_sink_id_foreign" foreign key ("sink_id") references "audit_sinks" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "audit_sink_cursors" add constraint "audit_sink_cursors_sink_id_foreign" foreign key ("sink_id") references "audit_sinks" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "audit_sink_dead_letters" drop constraint "audit_sink_dead_letters_sink_id_foreign";`);

    this.addSql(`alter table "audit_sink_cursors" drop constraint "audit_sink_cursors_sink_id_foreign";`);

    this.addSql(`drop table if exists "audit_sinks" cascade;`);

    this.addSql(`drop table if exists "audit_sink_dead_letters" cascade;`);

    this.addSql(`drop table if exists "audit_sink_cursors" cascade;`);
  }
}
