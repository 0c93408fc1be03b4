import { Migration } from '@mikro-orm/migrations';

/**
 * The latency breakdown of a request: Keyward's own time, the answering provider's time to
 * first byte, and the time its answer streamed. Null for events of older nodes.
 */
export class Migration20261209120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "usage_events" add column "gateway_ms" bigint null, add column "upstream_ttfb_ms" bigint null, add column "stream_ms" bigint null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "usage_events" drop column "gateway_ms", drop column "upstream_ttfb_ms", drop column "stream_ms";`);
  }
}
