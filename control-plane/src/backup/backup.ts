import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter } from 'age-encryption';
import pg from 'pg';
import { ConfigError } from '../config-error.js';
import { findPgTool, pgConnection, serverMajor } from './pg-tools.js';

/** What `npm run backup` needs. */
export interface BackupSettings {
  readonly databaseUrl: string;
  /** age X25519 public keys (`age1…`): any one of their identities decrypts the backup. */
  readonly recipients: readonly string[];
  /** The folder the encrypted file is written to. */
  readonly dir: string;
  /** Where `pg_dump` is; null: looked for (`findPgTool`). */
  readonly pgBinDir: string | null;
}

/** What `npm run restore` needs. */
export interface RestoreSettings {
  readonly databaseUrl: string;
  /** age identity (`AGE-SECRET-KEY-1…`), kept apart from the backups. */
  readonly identity: string;
  readonly file: string;
  readonly pgBinDir: string | null;
}

/** A child process's end: resolves on exit 0, rejects with its last error line otherwise. */
function finished(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? 'no message'}`));
    });
  });
}

/** `keyward-20261207T113000Z.dump.age`. */
function backupName(at: Date): string {
  return `keyward-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')}.dump.age`;
}

/**
 * Dumps the database with `pg_dump` (custom format: compressed, restorable table by table) and
 * encrypts the dump as it streams with age to every recipient, into `<dir>/keyward-<time>.dump.age`
 * (written under a temporary name and renamed, so a file with the final name is whole). Nothing
 * unencrypted touches the disk, and no private key is needed or kept. Returns the file's path.
 */
export async function writeBackup(settings: BackupSettings): Promise<string> {
  const encrypter = new Encrypter();
  for (const recipient of settings.recipients) {
    try {
      encrypter.addRecipient(recipient);
    } catch {
      throw new ConfigError(`KEYWARD_BACKUP_RECIPIENTS holds "${recipient.slice(0, 12)}…", which is not an age public key (age1…).`);
    }
  }
  const pgDump = await findPgTool('pg_dump', await serverMajor(settings.databaseUrl), settings.pgBinDir);
  await mkdir(settings.dir, { recursive: true, mode: 0o700 });
  const path = join(settings.dir, backupName(new Date()));
  const partial = `${path}.partial`;
  const { url, env } = pgConnection(settings.databaseUrl);
  const dump = spawn(pgDump, ['--format=custom', '--no-owner', '--no-privileges', `--dbname=${url}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = finished(dump, 'pg_dump');
  try {
    const encrypted = await encrypter.encrypt(Readable.toWeb(dump.stdout!) as unknown as ReadableStream<Uint8Array>);
    await pipeline(Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>), createWriteStream(partial, { mode: 0o600 }));
    await done;
    await rename(partial, path);
    return path;
  } catch (error) {
    dump.kill();
    await done.catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Restores a backup into an empty database: refuses one that has tables already (restoring over
 * data would mix two installations), then decrypts the file as it streams into `pg_restore`.
 */
export async function restoreBackup(settings: RestoreSettings): Promise<void> {
  const decrypter = new Decrypter();
  try {
    decrypter.addIdentity(settings.identity.trim());
  } catch {
    throw new ConfigError('The identity file does not hold an age identity (AGE-SECRET-KEY-1…).');
  }
  const client = new pg.Client({ connectionString: settings.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`,
    );
    if (rows[0]!.n > 0) throw new ConfigError(`The database at DATABASE_URL is not empty (${rows[0]!.n} tables): restore into a new, empty database.`);
  } finally {
    await client.end();
  }
  const pgRestore = await findPgTool('pg_restore', await serverMajor(settings.databaseUrl), settings.pgBinDir);
  const { url, env } = pgConnection(settings.databaseUrl);
  let plain: Readable;
  try {
    const file = Readable.toWeb(createReadStream(settings.file)) as unknown as ReadableStream<Uint8Array>;
    plain = Readable.fromWeb((await decrypter.decrypt(file)) as unknown as WebReadableStream<Uint8Array>);
  } catch (error) {
    throw new ConfigError(`${settings.file} cannot be decrypted with this identity: ${(error as Error).message}.`);
  }
  const restore = spawn(pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${url}`], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  const done = finished(restore, 'pg_restore');
  await Promise.all([pipeline(plain, restore.stdin as Writable), done]);
}
