import { Migration } from '@mikro-orm/migrations';

/** The admin log's append-only rule as `Migration20261207110000` left it, with `extra` as one more way a row may go. */
const appendOnly = (extra: string) => `create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
      declare
        days int := 365;
        due timestamptz;
      begin
        if tg_op = 'DELETE' then
          if old.organization_id is not null then
            select case when o.settings -> 'retentionDays' is null then 365 else (o.settings ->> 'retentionDays')::int end, o.deletion_due_at into days, due
              from organizations o where o.id = old.organization_id;
            if not found then days := 365; end if;
          end if;
          ${extra}
          if days is not null and old.created_at < now() - make_interval(days => days) then
            return old;
          end if;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`;

/**
 * Organization deletion with a grace period: `deletion_requested_at` (its keys stopped then) and
 * `deletion_due_at` (when the deletion job deletes every row). The admin log's append-only
 * trigger also lets an organization's rows go once its deletion is due, and only then.
 */
export class Migration20261209141000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "organizations" add column "deletion_requested_at" timestamptz null, add column "deletion_due_at" timestamptz null;`);
    this.addSql(`create index "organizations_deletion_due_at_index" on "organizations" ("deletion_due_at") where "deletion_due_at" is not null;`);
    this.addSql(appendOnly(`if due is not null and due <= now() then return old; end if;`));
  }

  override async down(): Promise<void> {
    this.addSql(appendOnly(''));
    this.addSql(`alter table "organizations" drop column "deletion_requested_at", drop column "deletion_due_at";`);
  }
}
