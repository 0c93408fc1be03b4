import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import type { TestSystem } from './system.js';

/** Every row of every table of the control plane's database, as text. */
async function databaseText(db: pg.Client): Promise<string> {
  const { rows: tables } = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await db.query<{ t: string }>(`select t::text as t from ${db.escapeIdentifier(name)} t`);
    parts.push(...rows.map((r) => r.t));
  }
  return parts.join('\n');
}

/** Every file under `dir`, as Latin-1 text. */
async function filesText(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name), 'latin1'));
  }
  return parts.join('\n');
}

/** A usage-event export of the last and next hour, downloaded as the owner. */
async function exportText(system: TestSystem): Promise<string> {
  const res = await system.owner.gql<{ createExport: { url: string } }>(
    'mutation($from: DateTimeISO!, $to: DateTimeISO!) { createExport(input: { kind: USAGE_EVENTS, format: NDJSON, from: $from, to: $to }) { url } }',
    { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() },
  );
  expect(res.errors).toBeUndefined();
  // The link names the public address; the test control plane listens on a port of its own.
  const link = new URL(res.data!.createExport.url);
  const download = await fetch(new URL(`${link.pathname}${link.search}`, system.cp.url));
  expect(download.status).toBe(200);
  return download.text();
}

/** The stores Keyward writes, as text: PostgreSQL, both planes' logs, the node's state directory (spool, config), an export. */
export async function storesText(system: TestSystem, db: pg.Client): Promise<Record<string, string>> {
  return {
    postgresql: await databaseText(db),
    logs: system.allLogs().join('\n'),
    'data-plane state (spool, config)': await filesText(system.dataPlaneStateDir),
    'usage-event export': await exportText(system),
  };
}

/** The names of the stores whose text holds `needle` (a pattern, for secrets too short to look for as bare text). */
export function storesHolding(stores: Record<string, string>, needle: string | RegExp): string[] {
  return Object.entries(stores)
    .filter(([, text]) => (typeof needle === 'string' ? text.includes(needle) : needle.test(text)))
    .map(([store]) => store);
}
