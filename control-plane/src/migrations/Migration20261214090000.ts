import { Migration } from '@mikro-orm/migrations';

/**
 * Performance rollups per UTC quarter hour (the same sums as the hourly ones), written by event
 * ingestion, so the Performance screen splits an hour where a local day or hour starts inside it
 * (time zones offset by a half or three quarters of an hour). Events stored before this migration
 * are added once here; hours whose events retention already deleted keep their hourly figures only.
 */
export class Migration20261214090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "performance_quarter_rollups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "provider" text not null, "requests" bigint not null, "client_errors" bigint not null, "server_errors" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "decision_counts" bigint[] not null, "latency_histogram" bigint[] not null, "ttft_histogram" bigint[] not null, "quarter" timestamptz not null, constraint "performance_quarter_rollups_pkey" primary key ("id"));`,
    );
    this.addSql(`create unique index "performance_quarter_rollups_bucket_unique" on "performance_quarter_rollups" ("organization_id", "quarter", "provider");`);
    this.addSql(
      `alter table "performance_quarter_rollups" add constraint "performance_quarter_rollups_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    const timed = `e.decision in ('allowed', 'redacted', 'approved', 'error')`;
    const decisions = `array['allowed', 'redacted', 'blocked', 'held', 'approved', 'rejected', 'rate_limited', 'budget_exceeded', 'denied', 'error']::text[]`;
    const bucketCount = (ms: string) =>
      `(array_fill(0::bigint, array[case when ${ms} <= 1 then 0 else least(149, ceil(ln(${ms}) / ln(1.1) - 1e-9)::int) end]) || 1::bigint)`;
    this.addSql(
      `insert into performance_quarter_rollups (id, created_at, updated_at, organization_id, quarter, provider, requests, client_errors, server_errors,
         input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram)
       select gen_random_uuid(), now(), now(), e.organization_id, date_bin('15 minutes', e.started_at, timestamptz '2000-01-01 00:00:00+00'),
         coalesce(e.provider, ''), count(*), count(*) filter (where e.status between 400 and 499), count(*) filter (where e.status >= 500),
         sum(e.input_tokens), sum(e.output_tokens),
         keyward_sum_counts(array_fill(0::bigint, array[array_position(${decisions}, e.decision) - 1]) || 1::bigint),
         keyward_sum_counts(${bucketCount('e.latency_ms')}) filter (where ${timed}),
         keyward_sum_counts(${bucketCount('e.ttft_ms')}) filter (where ${timed} and e.ttft_ms is not null)
       from usage_events e
       group by 4, 5, 6;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "performance_quarter_rollups" cascade;`);
  }
}
