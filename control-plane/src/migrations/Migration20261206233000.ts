import { Migration } from '@mikro-orm/migrations';
import { CHAIN_KINDS, GENESIS_HASH, linkHash } from '../audit-chain/chain-kinds.js';

/**
 * The tamper-evident audit trail: chain columns on usage events and audit entries, chain heads,
 * signed checkpoints and the signing key; then every existing row is chained, per organization
 * in the order it was stored (`created_at`, then id), so existing rows read back unchanged and
 * the first new row continues their chain. Statements run at once (`execute`) because the
 * chaining reads what they create.
 */
export class Migration20261206233000 extends Migration {

  override async up(): Promise<void> {
    for (const table of ['usage_events', 'audit_entries']) {
      await this.execute(`alter table "${table}" add column "chain_seq" bigint null, add column "prev_hash" text null, add column "chain_hash" text null;`);
      await this.execute(`create unique index "${table}_chain_idx" on "${table}" ("organization_id", "chain_seq");`);
    }
    await this.execute(`create table "audit_chain_heads" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kind" text not null, "seq" bigint not null, "hash" text not null, constraint "audit_chain_heads_pkey" primary key ("id"));`);
    await this.execute(`alter table "audit_chain_heads" add constraint "audit_chain_heads_organization_id_kind_unique" unique ("organization_id", "kind");`);
    await this.execute(`alter table "audit_chain_heads" add constraint "audit_chain_heads_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);
    await this.execute(`create table "audit_checkpoints" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "organization_id" uuid not null, "kind" text not null, "seq" bigint not null, "hash" text not null, "signed_at" timestamptz not null, "key_id" text not null, "signature" text not null, constraint "audit_checkpoints_pkey" primary key ("id"));`);
    await this.execute(`alter table "audit_checkpoints" add constraint "audit_checkpoints_organization_id_kind_seq_unique" unique ("organization_id", "kind", "seq");`);
    await this.execute(`alter table "audit_checkpoints" add constraint "audit_checkpoints_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);
    await this.execute(`create table "audit_signing_keys" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "key_id" text not null, "public_key" text not null, "kek_id" varchar(300) not null, "wrapped_key" text not null, "iv" varchar(32) not null, "ciphertext" text not null, "tag" varchar(32) not null, constraint "audit_signing_keys_pkey" primary key ("id"));`);
    await this.execute(`alter table "audit_signing_keys" add constraint "audit_signing_keys_key_id_unique" unique ("key_id");`);

    // Audit entries stay append-only; the one update allowed gives a row its place in the chain, once.
    await this.execute(`create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.created_at < now() - make_interval(days => coalesce(
          (select (settings->>'retentionDays')::int from organizations where id = old.organization_id), 365)) then
          return old;
        end if;
        if tg_op = 'UPDATE' and old.chain_seq is null and old.chain_hash is null
           and (to_jsonb(new) - 'chain_seq' - 'prev_hash' - 'chain_hash') = (to_jsonb(old) - 'chain_seq' - 'prev_hash' - 'chain_hash') then
          return new;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);

    for (const kind of Object.values(CHAIN_KINDS)) {
      const orgs = await this.execute(`select distinct organization_id as "orgId" from ${kind.table} where organization_id is not null`);
      for (const { orgId } of orgs as { orgId: string }[]) {
        let seq = 0;
        let hash = GENESIS_HASH;
        let after: { createdAt: string; id: string } | null = null;
        for (;;) {
          const page = (await this.execute(
            `select created_at::text as "storedAt", ${kind.selectList} from ${kind.table}
              where organization_id = ? ${after ? 'and (created_at, id) > (?::timestamptz, ?::uuid)' : ''} order by created_at, id limit 1000`,
            after ? [orgId, after.createdAt, after.id] : [orgId],
          )) as Record<string, unknown>[];
          if (page.length === 0) break;
          const links = page.map((row) => {
            const prev = hash;
            seq += 1;
            hash = linkHash(prev, kind.canonicalText(row));
            return { id: row.id, seq, prev, hash };
          });
          await this.execute(
            `update ${kind.table} t set chain_seq = l.seq, prev_hash = l.prev, chain_hash = l.hash
               from jsonb_to_recordset(?::jsonb) as l(id uuid, seq bigint, prev text, hash text) where t.id = l.id`,
            [JSON.stringify(links)],
          );
          const last = page[page.length - 1]!;
          after = { createdAt: last.storedAt as string, id: last.id as string };
        }
        await this.execute(
          `insert into audit_chain_heads (id, organization_id, kind, seq, hash) values (gen_random_uuid(), ?, ?, ?, ?)`,
          [orgId, kind.name, seq, hash],
        );
      }
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_signing_keys" cascade;`);
    this.addSql(`drop table if exists "audit_checkpoints" cascade;`);
    this.addSql(`drop table if exists "audit_chain_heads" cascade;`);
    this.addSql(`create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and old.created_at < now() - make_interval(days => coalesce(
          (select (settings->>'retentionDays')::int from organizations where id = old.organization_id), 365)) then
          return old;
        end if;
        raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);
    for (const table of ['usage_events', 'audit_entries']) {
      this.addSql(`drop index if exists "${table}_chain_idx";`);
      this.addSql(`alter table "${table}" drop column "chain_seq", drop column "prev_hash", drop column "chain_hash";`);
    }
  }

}
