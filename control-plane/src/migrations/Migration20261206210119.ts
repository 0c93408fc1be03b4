import { Migration } from '@mikro-orm/migrations';

export class Migration20261206210119 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "email_changes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "user_id" uuid not null, "new_email" varchar(254) not null, "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "consumed_at" timestamptz null, constraint "email_changes_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "email_changes_user_id_created_at_index" on "email_changes" ("user_id", "created_at");`);

    this.addSql(
      `alter table "email_changes" add constraint "email_changes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "email_changes" cascade;`);
  }
}
