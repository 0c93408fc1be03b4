import { Migration } from '@mikro-orm/migrations';

/**
 * Playground conversations: a member's own chats with a model through the gateway, saved so
 * they can be reopened, and deleted by that member (or with their account or organization).
 */
export class Migration20261212090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "playground_conversations" (
  "id" uuid not null, "organization_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(),
  "user_id" uuid not null, "key_id" uuid null, "model" varchar(200) not null, "title" varchar(120) not null, "messages" jsonb not null,
  constraint "playground_conversations_pkey" primary key ("id"));`);
    this.addSql(
      `create index "playground_conversations_organization_id_user_id_updated_at_index" on "playground_conversations" ("organization_id", "user_id", "updated_at");`,
    );
    this.addSql(
      `alter table "playground_conversations" add constraint "playground_conversations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "playground_conversations" add constraint "playground_conversations_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "playground_conversations" add constraint "playground_conversations_key_id_foreign" foreign key ("key_id") references "keys" ("id") on update cascade on delete set null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "playground_conversations" cascade;`);
  }
}
