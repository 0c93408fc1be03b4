import { Migration } from '@mikro-orm/migrations';
import { CHAIN_KINDS, GENESIS_HASH, linkHash } from '../audit-chain/chain-kinds.js';

/**
 * The tamper-evident audit trail: chain links, chain heads, signed checkpoints and the signing
 * key; then every existing usage event and audit entry of an organization is linked, per
 * organization in the order it was stored (`created_at`, then id), so the first new row
 * continues the chain. The rows themselves are not touched. Statements run at once (`execute`)
 * because the linking reads what they create.
 */
export class Migration20261207000500 extends Migration {
  override async up(): Promise<void> {
    await this.execute(
      `create table "audit_chain_links" ("organization_id" uuid not null, "kind" text not null, "seq" bigint not null, "row_id" uuid not null, "prev_hash" text not null, "hash" text not null, constraint "audit_chain_links_pkey" primary key ("organization_id", "kind", "seq"));`,
    );
    await this.execute(`create index "audit_chain_links_row_id_index" on "audit_chain_links" ("row_id");`);
    await this.execute(
      `alter table "audit_chain_links" add constraint "audit_chain_links_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    await this.execute(
      `create table "audit_chain_heads" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kind" text not null, "seq" bigint not null, "hash" text not null, constraint "audit_chain_heads_pkey" primary key ("id"));`,
    );
    await this.execute(`alter table "audit_chain_heads" add constraint "audit_chain_heads_organization_id_kind_unique" unique ("organization_id", "kind");`);
    await this.execute(
      `alter table "audit_chain_heads" add constraint "audit_chain_heads_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    await this.execute(
      `create table "audit_checkpoints" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kind" text not null, "seq" bigint not null, "hash" text not null, "signed_at" timestamptz not null, "key_id" text not null, "signature" text not null, constraint "audit_checkpoints_pkey" primary key ("id"));`,
    );
    await this.execute(
      `alter table "audit_checkpoints" add constraint "audit_checkpoints_organization_id_kind_seq_unique" unique ("organization_id", "kind", "seq");`,
    );
    await this.execute(
      `alter table "audit_checkpoints" add constraint "audit_checkpoints_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
    await this.execute(
      `create table "audit_signing_keys" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "key_id" text not null, "public_key" text not null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "audit_signing_keys_pkey" primary key ("id"));`,
    );
    await this.execute(`alter table "audit_signing_keys" add constraint "audit_signing_keys_key_id_unique" unique ("key_id");`);

    for (const kind of Object.values(CHAIN_KINDS)) {
      const orgs = await this.execute(`select distinct organization_id as "orgId" from ${kind.table} where organization_id is not null`);
      for (const { orgId } of orgs as { orgId: string }[]) {
        let seq = 0;
        let hash = GENESIS_HASH;
        let after: { createdAt: string; id: string } | null = null;
        for (;;) {
          const page = (await this.execute(
            `select created_at::text as "storedAt", ${kind.chainStartSelectList} from ${kind.table}
              where organization_id = ? ${after ? 'and (created_at, id) > (?::timestamptz, ?::uuid)' : ''} order by created_at, id limit 1000`,
            after ? [orgId, after.createdAt, after.id] : [orgId],
          )) as Record<string, unknown>[];
          if (page.length === 0) break;
          const links = page.map((row) => {
            const prev = hash;
            seq += 1;
            // Format 1 (content inline): the column that marks it comes with Migration20261207110000.
            hash = linkHash(prev, kind.canonicalRow(row));
            return { seq, id: row.id, prev, hash };
          });
          await this.execute(
            `insert into audit_chain_links (organization_id, kind, seq, row_id, prev_hash, hash)
             select ?, ?, l.seq, l.id, l.prev, l.hash from jsonb_to_recordset(?::jsonb) as l(seq bigint, id uuid, prev text, hash text)`,
            [orgId, kind.name, JSON.stringify(links)],
          );
          const last = page[page.length - 1]!;
          after = { createdAt: last.storedAt as string, id: last.id as string };
        }
        await this.execute(`insert into audit_chain_heads (id, organization_id, kind, seq, hash) values (gen_random_uuid(), ?, ?, ?, ?)`, [
          orgId,
          kind.name,
          seq,
          hash,
        ]);
      }
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_signing_keys" cascade;`);
    this.addSql(`drop table if exists "audit_checkpoints" cascade;`);
    this.addSql(`drop table if exists "audit_chain_heads" cascade;`);
    this.addSql(`drop table if exists "audit_chain_links" cascade;`);
  }
}
