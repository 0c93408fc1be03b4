/**
 * `npm run backup [-- --keep N] [--every <n>s|m|h|d]`: dumps the control plane's database
 * (`DATABASE_URL`) with `pg_dump`, encrypted with age to every public key in
 * `KEYWARD_BACKUP_RECIPIENTS`, into `KEYWARD_BACKUP_DIR` and/or the bucket of
 * `KEYWARD_BACKUP_S3_URL`; prints where it went. `--keep N` deletes all but the newest N backups
 * there; `--every` repeats until stopped (SIGTERM or SIGINT). `npm run restore -- <file> --identity-file <path>`: restores such a file into
 * the empty database at `DATABASE_URL` with the age identity kept elsewhere. Exits 0 when done,
 * 1 when the dump or restore failed, 2 when it cannot run (one sentence saying why).
 */
import { readFile } from 'node:fs/promises';
import { restoreBackup } from './backup/backup.js';
import { runBackup, runBackupsEvery, type BackupRun } from './backup/backup-run.js';
import { backupBucketFrom } from './backup/s3-bucket.js';
import { ConfigError, loadDatabaseUrl } from './config.js';

const USAGE = 'usage: npm run backup [-- --keep <N>] [--every <n>s|m|h|d] | npm run restore -- <file.dump.age> --identity-file <path>';
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--keep N` and `--every 24h`, each at most once, and nothing else. */
function backupOptions(args: readonly string[]): { keep: number | null; everyMs: number | null } {
  let keep: number | null = null;
  let everyMs: number | null = null;
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value = ''] = [args[i], args[i + 1]];
    if (flag === '--keep' && keep === null && /^[1-9]\d{0,3}$/.test(value)) keep = Number(value);
    else if (flag === '--every' && everyMs === null && /^[1-9]\d{0,4}[smhd]$/.test(value)) everyMs = Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1)]!;
    else throw new ConfigError(`${flag} ${value}`.trim() + ` is not understood (--keep takes 1 to 9999, --every a number with s, m, h or d); ${USAGE}.`);
  }
  return { keep, everyMs };
}

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
    if (argv[0] === 'backup') {
      const { keep, everyMs } = backupOptions(argv.slice(1));
      const recipients = required('KEYWARD_BACKUP_RECIPIENTS')
        .split(/[\s,]+/)
        .filter(Boolean);
      const bucket = backupBucketFrom(process.env);
      const dir = process.env.KEYWARD_BACKUP_DIR?.trim() || null;
      if (!dir && !bucket) throw new ConfigError(`KEYWARD_BACKUP_DIR or KEYWARD_BACKUP_S3_URL must be set; ${USAGE}.`);
      const run: BackupRun = { databaseUrl, recipients, pgBinDir, dir, bucket, keep };
      if (everyMs === null) {
        for (const place of await runBackup(run)) process.stdout.write(`${place}\n`);
        return 0;
      }
      const stop = new AbortController();
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
      await runBackupsEvery(run, everyMs, stop.signal, (outcome) => {
        if ('error' in outcome) process.stderr.write(`backup failed: ${outcome.error.message}; the next one is due in ${argv[argv.indexOf('--every') + 1]}\n`);
        else for (const place of outcome.written) process.stdout.write(`${place}\n`);
      });
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
