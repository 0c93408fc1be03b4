import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeBackup } from './backup.js';
import { deleteObject, listObjects, type S3Bucket } from '../s3/s3-bucket.js';
import { uploadBackup } from './s3-bucket.js';

/** What `npm run backup` does once: where it writes, and how many backups it keeps there. */
export interface BackupRun {
  readonly databaseUrl: string;
  readonly recipients: readonly string[];
  readonly pgBinDir: string | null;
  /** A folder that keeps the backups; null: written to a temporary folder and removed once uploaded. */
  readonly dir: string | null;
  readonly bucket: S3Bucket | null;
  /** Keep the newest this many backups in each place (older ones are deleted); null: keep all. */
  readonly keep: number | null;
}

/** `keyward-<time>.dump.age`: the names a backup is written under (`backup.ts`); they sort by time. */
const BACKUP_NAME = /^keyward-\d{8}T\d{6}Z\.dump\.age$/;

/** Of a place's backup names, those beyond the newest `keep`. */
function beyondNewest(names: readonly string[], keep: number): string[] {
  const backups = names.filter((n) => BACKUP_NAME.test(n)).sort();
  return backups.slice(0, Math.max(0, backups.length - keep));
}

/**
 * Writes one backup into the folder and/or the bucket, then deletes the backups beyond the newest
 * `keep` in each (only files named like backups; a rotation never touches anything else).
 * Returns where the new backup is.
 */
export async function runBackup(run: BackupRun): Promise<string[]> {
  const dir = run.dir ?? (await mkdtemp(join(tmpdir(), 'keyward-backup-')));
  try {
    const path = await writeBackup({ databaseUrl: run.databaseUrl, recipients: run.recipients, dir, pgBinDir: run.pgBinDir });
    const written = run.dir ? [path] : [];
    if (run.bucket) written.push(await uploadBackup(run.bucket, path, basename(path)));
    if (run.keep !== null) {
      if (run.dir) for (const old of beyondNewest(await readdir(run.dir), run.keep)) await rm(join(run.dir, old), { force: true });
      if (run.bucket) for (const old of beyondNewest(await listObjects(run.bucket, 'keyward-'), run.keep)) await deleteObject(run.bucket, old);
    }
    return written;
  } finally {
    if (!run.dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The scheduled mode: a backup now, then one every `intervalMs` until `signal` aborts. A failed
 * round is reported and the next one comes at its time; a round is never started while one runs.
 */
export async function runBackupsEvery(
  run: BackupRun,
  intervalMs: number,
  signal: AbortSignal,
  report: (outcome: { written: string[] } | { error: Error }) => void,
): Promise<void> {
  while (!signal.aborted) {
    const started = Date.now();
    try {
      report({ written: await runBackup(run) });
    } catch (error) {
      report({ error: error as Error });
    }
    await sleep(Math.max(0, started + intervalMs - Date.now()), undefined, { signal }).catch(() => undefined);
  }
}
