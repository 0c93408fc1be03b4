/**
 * `npm run backup`: dumps the control plane's database (`DATABASE_URL`) with `pg_dump`, encrypted
 * with age to every public key in `KEYWARD_BACKUP_RECIPIENTS`, into `KEYWARD_BACKUP_DIR`; prints
 * the file's path. `npm run restore -- <file> --identity-file <path>`: restores such a file into
 * the empty database at `DATABASE_URL` with the age identity kept elsewhere. Exits 0 when done,
 * 1 when the dump or restore failed, 2 when it cannot run (one sentence saying why).
 */
import { readFile } from 'node:fs/promises';
import { restoreBackup, writeBackup } from './backup/backup.js';
import { ConfigError, loadDatabaseUrl } from './config.js';

const USAGE = 'usage: npm run backup | npm run restore -- <file.dump.age> --identity-file <path>';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new ConfigError(`${name} must be set; ${USAGE}.`);
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const databaseUrl = loadDatabaseUrl(process.env);
    if (!databaseUrl) throw new ConfigError('DATABASE_URL must name the PostgreSQL database of the control plane.');
    const pgBinDir = process.env.KEYWARD_PG_BIN_DIR?.trim() || null;
    if (argv[0] === 'backup' && argv.length === 1) {
      const recipients = required('KEYWARD_BACKUP_RECIPIENTS')
        .split(/[\s,]+/)
        .filter(Boolean);
      const path = await writeBackup({ databaseUrl, recipients, dir: required('KEYWARD_BACKUP_DIR'), pgBinDir });
      process.stdout.write(`${path}\n`);
      return 0;
    }
    if (argv[0] === 'restore' && argv.length === 4 && argv[2] === '--identity-file') {
      const identity = await readFile(argv[3]!, 'utf8').catch(() => {
        throw new ConfigError(`The identity file ${argv[3]} cannot be read.`);
      });
      await restoreBackup({ databaseUrl, identity, file: argv[1]!, pgBinDir });
      process.stderr.write(`restored ${argv[1]}\n`);
      return 0;
    }
    throw new ConfigError(USAGE);
  } catch (error) {
    const mode = argv[0] === 'restore' ? 'restore' : 'backup';
    if (error instanceof ConfigError) {
      process.stderr.write(`${mode} cannot run: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`${mode} failed: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
