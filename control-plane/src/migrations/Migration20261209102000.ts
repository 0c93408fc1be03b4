import { Migration } from '@mikro-orm/migrations';

/** A request can be held because its key is held for approval after an anomaly. */
export class Migration20261209102000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "approval_requests" drop constraint if exists "approval_requests_reason_kind_check";`);
    this.addSql(
      `alter table "approval_requests" add constraint "approval_requests_reason_kind_check" check ("reason_kind" in ('policy', 'budget', 'anomaly'));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "approval_requests" drop constraint if exists "approval_requests_reason_kind_check";`);
    this.addSql(`alter table "approval_requests" add constraint "approval_requests_reason_kind_check" check ("reason_kind" in ('policy', 'budget'));`);
  }
}
