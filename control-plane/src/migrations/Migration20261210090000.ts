import { Migration } from '@mikro-orm/migrations';

/**
 * Performance rollups: per organization, UTC hour and provider, request and error counts, tokens,
 * per-decision counts and latency / time-to-first-token histograms with fixed buckets, written
 * by event ingestion. `keyward_add_counts` adds two count arrays index by index (the shorter one
 * padded with zeros); `keyward_sum_counts` is its aggregate, so hours merge into days in SQL.
 * Events stored before this migration are added once here.
 */
export class Migration20261210090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "performance_rollups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "hour" timestamptz not null, "provider" text not null, "requests" bigint not null, "client_errors" bigint not null, "server_errors" bigint not null, "input_tokens" bigint not null, "output_tokens" bigint not null, "decision_counts" bigint[] not null, "latency_histogram" bigint[] not null, "ttft_histogram" bigint[] not null, constraint "performance_rollups_pkey" primary key ("id"));`,
    );
    this.addSql(`create unique index "performance_rollups_bucket_unique" on "performance_rollups" ("organization_id", "hour", "provider");`);
    this.addSql(`create index "performance_rollups_org_hour_idx" on "performance_rollups" ("organization_id", "hour");`);
    this.addSql(
      `alter table "performance_rollups" add constraint "performance_rollups_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `create or replace function keyward_add_counts(a bigint[], b bigint[]) returns bigint[] language sql immutable parallel safe as $$
         select coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) order by i), '{}'::bigint[]) from unnest(a, b) with ordinality as t(x, y, i)
       $$;`,
    );
    this.addSql(`create aggregate keyward_sum_counts(bigint[]) (sfunc = keyward_add_counts, stype = bigint[], initcond = '{}');`);
    const timed = `e.decision in ('allowed', 'redacted', 'approved', 'error')`;
    const decisions = `array['allowed', 'redacted', 'blocked', 'held', 'approved', 'rejected', 'rate_limited', 'budget_exceeded', 'denied', 'error']::text[]`;
    const bucketCount = (ms: string) =>
      `(array_fill(0::bigint, array[case when ${ms} <= 1 then 0 else least(149, ceil(ln(${ms}) / ln(1.1) - 1e-9)::int) end]) || 1::bigint)`;
    this.addSql(
      `insert into performance_rollups (id, created_at, updated_at, organization_id, hour, provider, requests, client_errors, server_errors,
         input_tokens, output_tokens, decision_counts, latency_histogram, ttft_histogram)
       select gen_random_uuid(), now(), now(), e.organization_id, date_trunc('hour', e.started_at at time zone 'UTC') at time zone 'UTC',
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
    this.addSql(`drop table if exists "performance_rollups" cascade;`);
    this.addSql(`drop aggregate if exists keyward_sum_counts(bigint[]);`);
    this.addSql(`drop function if exists keyward_add_counts(bigint[], bigint[]);`);
  }
}
