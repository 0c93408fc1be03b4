import { Migration } from '@mikro-orm/migrations';

export class Migration20261123043150 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "credit_ledger" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "amount_micros" bigint not null, "reason" varchar(32) not null, "actor" varchar(80) not null, "reference" varchar(200) null, "note" varchar(500) null, constraint "credit_ledger_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "credit_ledger_organization_id_created_at_index" on "credit_ledger" ("organization_id", "created_at");`);
    this.addSql(`create unique index "credit_ledger_reference_unique" on "credit_ledger" ("organization_id", "reference") where "reference" is not null;`);

    this.addSql(
      `create table "budget_alerts" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "budget_id" uuid not null, "period_key" varchar(40) not null, "threshold" int not null, "spent_micros" bigint not null, "limit_micros" bigint not null, constraint "budget_alerts_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "budget_alerts" add constraint "budget_alerts_budget_id_period_key_threshold_unique" unique ("budget_id", "period_key", "threshold");`,
    );

    this.addSql(
      `create table "budgets" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null default '', "scope_kind" varchar(8) not null, "scope_id" uuid not null, "period" varchar(16) not null, "limit_micros" bigint not null, "action" varchar(8) not null default 'block', "alert_thresholds" jsonb not null, constraint "budgets_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "budgets_organization_id_scope_kind_scope_id_index" on "budgets" ("organization_id", "scope_kind", "scope_id");`);

    this.addSql(
      `create table "billing_accounts" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "credits_enabled" boolean not null default false, "credits_start_day" date null, "credit_budget_id" uuid not null, "stripe_customer_id" text null, constraint "billing_accounts_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "billing_accounts" add constraint "billing_accounts_organization_id_unique" unique ("organization_id");`);

    this.addSql(
      `create table "rate_limits" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "name" varchar(120) not null default '', "scope_kind" varchar(8) not null, "scope_id" uuid not null, "requests_per_minute" int null, "tokens_per_minute" int null, "concurrent_requests" int null, constraint "rate_limits_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "rate_limits_organization_id_scope_kind_scope_id_index" on "rate_limits" ("organization_id", "scope_kind", "scope_id");`);

    this.addSql(
      `create table "spend_rollups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "day" date not null, "team_id" uuid null, "key_id" uuid not null, "model" text not null, "requests" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "cached_input_tokens" bigint not null, "cost_micros" bigint not null, constraint "spend_rollups_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "spend_rollups_team_day_idx" on "spend_rollups" ("organization_id", "team_id", "day");`);
    this.addSql(`create index "spend_rollups_key_day_idx" on "spend_rollups" ("organization_id", "key_id", "day");`);
    this.addSql(
      `create unique index "spend_rollups_bucket_unique" on "spend_rollups" ("organization_id", "day", "key_id", (coalesce("team_id", '00000000-0000-0000-0000-000000000000'::uuid)), "model");`,
    );

    this.addSql(
      `alter table "credit_ledger" add constraint "credit_ledger_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "budget_alerts" add constraint "budget_alerts_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "budgets" add constraint "budgets_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "billing_accounts" add constraint "billing_accounts_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "rate_limits" add constraint "rate_limits_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "spend_rollups" add constraint "spend_rollups_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    // Added by hand: the credit ledger is append-only (the balance is its sum), and no entry is zero.
    this.addSql(`alter table "credit_ledger" add constraint "credit_ledger_amount_nonzero" check ("amount_micros" <> 0);`);
    this.addSql(
      `create function "credit_ledger_refuse_update"() returns trigger language plpgsql as $$ begin raise exception 'credit_ledger is append-only: add a correcting entry instead'; end $$;`,
    );
    this.addSql(`create trigger "credit_ledger_append_only" before update on "credit_ledger" for each row execute function "credit_ledger_refuse_update"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "credit_ledger" cascade;`);
    this.addSql(`drop function if exists "credit_ledger_refuse_update"();`);

    this.addSql(`drop table if exists "budget_alerts" cascade;`);

    this.addSql(`drop table if exists "budgets" cascade;`);

    this.addSql(`drop table if exists "billing_accounts" cascade;`);

    this.addSql(`drop table if exists "rate_limits" cascade;`);

    this.addSql(`drop table if exists "spend_rollups" cascade;`);
  }
}
