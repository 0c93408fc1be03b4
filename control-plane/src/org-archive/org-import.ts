import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { ConfigError } from '../config-error.js';
import { ARCHIVE_TABLES, type ArchiveTable } from './archive-tables.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, type ArchiveHeader } from './org-export.js';

/** Rows inserted per statement. */
const BATCH = 500;

/** What an import did. */
export interface ImportSummary {
  readonly organizationId: string;
  /** Rows inserted, by table. */
  readonly rows: Record<string, number>;
  /** Rows whose secret stayed in the source: re-create them with their secrets (`table: name`). */
  readonly toRecreate: string[];
}

const PLANS = new Map(ARCHIVE_TABLES.map((plan) => [plan.table, plan]));

/** The archive's lines, decompressed as they are read; a missing file or broken gzip rejects (readline would hang instead). */
async function* archiveLines(file: string): AsyncGenerator<string> {
  const text = createGunzip();
  // The pipeline destroys the gunzip stream with any error of the file, so reading it rejects.
  pipeline(createReadStream(file), text, () => undefined);
  text.setEncoding('utf8');
  let rest = '';
  try {
    for await (const chunk of text as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
  } catch (error) {
    throw new ConfigError(`${file} cannot be read as a gzipped archive: ${(error as Error).message}.`);
  }
  if (rest) yield rest;
}

/** One INSERT of a batch of archive lines (passed whole as a jsonb array) into `plan.table`. */
function insertStatement(plan: ArchiveTable): string {
  const patch = Object.entries(plan.onImport ?? {})
    .map(([column, value]) => `'${column}', ${value}`)
    .join(', ');
  const row = patch ? `r || jsonb_build_object(${patch})` : 'r';
  // A person who is already here (the same account, by id) keeps their account as it is.
  const conflict = plan.table === 'users' ? ' on conflict (id) do nothing' : '';
  return `insert into "${plan.table}" select p.* from jsonb_array_elements($1::jsonb) e
     cross join lateral (select e -> 'row' as r) a cross join lateral jsonb_populate_record(null::"${plan.table}", ${row}) p${conflict}`;
}

/**
 * Installs the public keys the archive's checkpoints were signed with as verification-only keys
 * (no private half: published, never used to sign), so `verifyAuditTrail` here accepts those
 * checkpoints. A key whose id is not the hash of its public key is refused; one already here is kept.
 */
async function installSigningKeys(client: pg.Client, header: ArchiveHeader, file: string): Promise<void> {
  for (const key of header.signingKeys ?? []) {
    const der = Buffer.from(String(key.publicKey), 'base64');
    if (createHash('sha256').update(der).digest('hex').slice(0, 16) !== key.keyId)
      throw new ConfigError(`${file} names a signing key ${String(key.keyId)} that is not its public key's; nothing was imported.`);
    await client.query('insert into audit_signing_keys (id, key_id, public_key) values (gen_random_uuid(), $1, $2) on conflict (key_id) do nothing', [
      key.keyId,
      key.publicKey,
    ]);
  }
}

/** The one sentence a database refusal becomes: which row of the archive clashes with what is here. */
function refusal(error: unknown, table: string): Error {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505')
    return new ConfigError(`A ${table} row of the archive clashes with one already in this database (${e.constraint}); nothing was imported.`);
  return new Error(`The ${table} rows could not be inserted: ${e.message ?? String(error)}; nothing was imported.`);
}

function readHeader(line: string | undefined, file: string): ArchiveHeader {
  let header: Partial<ArchiveHeader> | null = null;
  try {
    header = line ? (JSON.parse(line) as Partial<ArchiveHeader>) : null;
  } catch {
    // Reported below.
  }
  if (header?.format !== ARCHIVE_FORMAT || typeof header.organizationId !== 'string')
    throw new ConfigError(`${file} is not a Keyward organization archive (gzipped NDJSON from exportOrganization).`);
  if (header.version !== ARCHIVE_VERSION)
    throw new ConfigError(`${file} is an organization archive of version ${header.version}; this Keyward imports version ${ARCHIVE_VERSION}.`);
  return header as ArchiveHeader;
}

/**
 * Imports an organization archive into the Keyward database at `databaseUrl` (its schema
 * migrated: a control plane has run on it), in one transaction: all of it or nothing. The
 * organization keeps its id — so its audit chain links hash as they did — and an
 * import over an organization this database already holds is refused. People keep their ids and
 * come without passwords (they sign in with an emailed code or link); one who already has an
 * account here under the same id keeps it. Rows whose secret stayed behind are not inserted but
 * listed in `toRecreate`; keys are inserted revoked and pending invitations withdrawn (their
 * hashes are not in the archive).
 */
export async function importOrganization(databaseUrl: string, file: string): Promise<ImportSummary> {
  const lines = archiveLines(file);
  const client = new pg.Client({ connectionString: databaseUrl });
  let connected = false;
  try {
    const first = await lines.next();
    const header = readHeader(first.done ? undefined : first.value, file);
    await client.connect();
    connected = true;
    await client.query('begin');
    const [present] = (await client.query('select 1 from organizations where id = $1', [header.organizationId])).rows;
    if (present) throw new ConfigError(`This database already holds organization ${header.organizationId}: import the archive into a Keyward that does not.`);
    const counts: Record<string, number> = {};
    const toRecreate: string[] = [];
    let batch: string[] = [];
    let batchPlan: ArchiveTable | null = null;
    const flush = async () => {
      if (!batchPlan || batch.length === 0) return;
      await client.query(insertStatement(batchPlan), [`[${batch.join(',')}]`]).catch((error: unknown) => {
        throw refusal(error, batchPlan!.table);
      });
      counts[batchPlan.table] = (counts[batchPlan.table] ?? 0) + batch.length;
      batch = [];
    };
    let seen = 0;
    let end: { rows: number } | null = null;
    for await (const line of lines) {
      if (end) throw new ConfigError(`${file} has lines after its end line.`);
      const record = JSON.parse(line) as { table?: string; row?: Record<string, unknown>; end?: true; rows?: number };
      if (record.end) {
        end = { rows: Number(record.rows) };
        continue;
      }
      const plan = PLANS.get(String(record.table));
      if (!plan || typeof record.row !== 'object')
        throw new ConfigError(`${file} holds a line that is not a row of an organization archive (table ${String(record.table)}).`);
      seen++;
      if (plan.secretHeld) {
        toRecreate.push(`${plan.table}: ${String(record.row.name ?? record.row.issuer ?? record.row.url_hint ?? record.row.id)}`);
        continue;
      }
      if (plan !== batchPlan || batch.length >= BATCH) await flush();
      batchPlan = plan;
      batch.push(line);
    }
    if (!end || end.rows !== seen) throw new ConfigError(`${file} is cut short (no end line, or fewer rows than it announced); nothing was imported.`);
    await flush();
    await installSigningKeys(client, header, file);
    await client.query('commit');
    return { organizationId: header.organizationId, rows: counts, toRecreate };
  } catch (error) {
    if (connected) await client.query('rollback').catch(() => undefined);
    if (error instanceof SyntaxError) throw new ConfigError(`${file} holds a line that is not JSON; nothing was imported.`);
    throw error;
  } finally {
    await lines.return(undefined);
    if (connected) await client.end().catch(() => undefined);
  }
}
