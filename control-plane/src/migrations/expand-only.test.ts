import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Rolling upgrades run the previous release's control planes against the new schema until
 * every replica is replaced, so a migration may only expand the schema: add tables, nullable
 * columns or columns with a default, indexes, functions. What the previous release still reads or
 * writes is removed or tightened in a later release, once nothing uses it ("expand, then
 * contract"). A migration that must contract says why in a `// contract:` comment naming the
 * release that stopped using what it removes; the check below then lets it through.
 */
const CONTRACTING: readonly [RegExp, string][] = [
  [/\bdrop\s+table\b/i, 'drops a table'],
  [/\bdrop\s+column\b/i, 'drops a column'],
  [/\brename\s+(?:column\b|to\b)/i, 'renames a table or column'],
  [/\balter\s+column\s+"?\w+"?\s+(?:set\s+data\s+)?type\b/i, "changes a column's type"],
  [/\bset\s+not\s+null\b/i, 'makes a column required'],
  [/\badd\s+column\s+"?\w+"?\s+[^,;`]*\bnot\s+null\b(?![^,;`]*\bdefault\b)/i, 'adds a required column without a default'],
];

/** What in one migration's `up` contracts the schema, in words. */
function contractions(source: string): string[] {
  if (/\/\/\s*contract:\s*\S/.test(source)) return [];
  const up = /async\s+up\s*\(\s*\)([\s\S]*?)(?:async\s+down\s*\(|$)/.exec(source)?.[1] ?? source;
  return CONTRACTING.filter(([pattern]) => pattern.test(up)).map(([, what]) => what);
}

describe('migrations', () => {
  it('only expand the schema, so the previous release keeps working during a rolling upgrade', () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const files = readdirSync(dir).filter((name) => /^Migration\d+\.ts$/.test(name));
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((name) => contractions(readFileSync(`${dir}/${name}`, 'utf8')).map((what) => `${name} ${what}`));
    expect(found).toEqual([]);
  });

  it.each([
    ['alter table "keys" drop column "note";', 'drops a column'],
    ['drop table if exists "old_things" cascade;', 'drops a table'],
    ['alter table "keys" rename column "name" to "title";', 'renames a table or column'],
    ['alter table "keys" alter column "limit" type bigint;', "changes a column's type"],
    ['alter table "keys" alter column "note" set not null;', 'makes a column required'],
    ['alter table "keys" add column "tier" text not null;', 'adds a required column without a default'],
  ])('refuses a migration whose up runs %s', (sql, what) => {
    const migration = `export class M extends Migration {\n  async up() {\n    this.addSql(\`${sql}\`);\n  }\n  async down() {}\n}`;
    expect(contractions(migration)).toEqual([what]);
    expect(contractions(`// contract: the previous release stopped reading it\n${migration}`)).toEqual([]);
  });

  it.each([
    'alter table "keys" add column "tier" text not null default \'free\';',
    'alter table "keys" add column "note" text null;',
    'create table "things" ("id" uuid not null, constraint "things_pkey" primary key ("id"));',
    'create index "keys_tier_index" on "keys" ("tier");',
  ])('lets %s through', (sql) => {
    expect(
      contractions(
        `export class M extends Migration {\n  async up() {\n    this.addSql(\`${sql}\`);\n  }\n  async down() {\n    this.addSql('drop table "things";');\n  }\n}`,
      ),
    ).toEqual([]);
  });
});
