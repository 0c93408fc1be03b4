import { Migration } from '@mikro-orm/migrations';

/**
 * Chain links leave the foreign key to `organizations`: its check ran once per inserted link,
 * a third of what writing a batch's links cost at ingestion. Links are written only by
 * `appendToChain`, under the organization's head row, which keeps its own foreign key (and
 * the chained row itself holds the organization until the commit). What the key's cascade did
 * a trigger on `organizations` does: deleting an organization deletes its links, changing its
 * id moves them.
 */
export class Migration20261207002100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "audit_chain_links" drop constraint "audit_chain_links_organization_id_foreign";`);
    this.addSql(`create function audit_chain_links_follow_organization() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    delete from audit_chain_links where organization_id = old.id;
  elsif new.id is distinct from old.id then
    update audit_chain_links set organization_id = new.id where organization_id = old.id;
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger audit_chain_links_follow_organization after delete or update of id on "organizations" for each row execute function audit_chain_links_follow_organization();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists audit_chain_links_follow_organization on "organizations";`);
    this.addSql(`drop function if exists audit_chain_links_follow_organization();`);
    this.addSql(`delete from audit_chain_links l where not exists (select 1 from organizations o where o.id = l.organization_id);`);
    this.addSql(
      `alter table "audit_chain_links" add constraint "audit_chain_links_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`,
    );
  }
}
