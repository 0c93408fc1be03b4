import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so a crashed process leaves either the old file or the new one, never
 * half of one: a private (0600) temp file in the same directory renamed over the target. With
 * `durable` (the default) the file is flushed before the rename and the directory after it, so
 * the new file also survives power loss; without, a power cut may leave the old file or an
 * empty one.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, { durable = true }: { durable?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (durable) await syncDirectory(dir);
}

/** Flushes a directory's entries (new, renamed or deleted files) to disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
