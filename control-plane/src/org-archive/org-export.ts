import pg from 'pg';
import { ARCHIVE_TABLES, NOT_EXPORTED_NOTE } from './archive-tables.js';

/** What the first line of an archive says it is. */
export const ARCHIVE_FORMAT = 'keyward-organization-archive';
export const ARCHIVE_VERSION = 1;

/** Rows fetched from a cursor at a time: memory stays flat however large the organization. */
const FETCH = 500;

/** The first line of an archive. */
export interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: number;
  readonly organizationId: string;
  readonly exportedAt: string;
  readonly notExported: string;
  /** The audit signing public keys the organization's checkpoints were signed with, to verify them after an import. */
  readonly signingKeys: { keyId: string; publicKey: string }[];
}

/**
 * An organization's archive as NDJSON lines (each ending in a newline): a header, then one
 * line a row — `{"table":"keys","row":{…}}`, the row as PostgreSQL's `to_jsonb` writes it, less
 * the columns `ARCHIVE_TABLES` omits — table by table in import order, then `{"end":true,"rows":N}`
 * so a cut-short file is told apart from a whole one. Everything is read in one read-only
 * repeatable-read transaction (a consistent snapshot: the audit chains' heads match their
 * entries) through server-side cursors, a page at a time only as the consumer asks.
 */
export async function* organizationArchive(clientUrl: string, orgId: string): AsyncGenerator<string> {
  const client = new pg.Client({ connectionString: clientUrl });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const org = client.escapeLiteral(orgId);
    const { rows: signingKeys } = await client.query<{ keyId: string; publicKey: string }>(
      `select key_id as "keyId", public_key as "publicKey" from audit_signing_keys
        where key_id in (select distinct key_id from audit_checkpoints where organization_id = ${org}) order by key_id`,
    );
    const header: ArchiveHeader = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      organizationId: orgId,
      exportedAt: new Date().toISOString(),
      notExported: NOT_EXPORTED_NOTE,
      signingKeys,
    };
    yield `${JSON.stringify(header)}\n`;
    let rows = 0;
    for (const plan of ARCHIVE_TABLES) {
      const where = plan.where ? plan.where(org) : `organization_id = ${org}`;
      const omit = plan.omit?.length ? ` - ${client.escapeLiteral(`{${plan.omit.join(',')}}`)}::text[]` : '';
      await client.query(
        `declare archive_rows no scroll cursor for
           select json_build_object('table', ${client.escapeLiteral(plan.table)}, 'row', to_jsonb(t)${omit})::text as line from "${plan.table}" t where ${where}`,
      );
      for (;;) {
        const page = await client.query<{ line: string }>(`fetch ${FETCH} from archive_rows`);
        if (page.rows.length === 0) break;
        rows += page.rows.length;
        yield page.rows.map((r) => `${r.line}\n`).join('');
      }
      await client.query('close archive_rows');
    }
    yield `${JSON.stringify({ end: true, rows })}\n`;
    await client.query('commit');
  } finally {
    await client.end().catch(() => undefined);
  }
}
