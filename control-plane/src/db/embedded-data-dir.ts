import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { othersCanReach, SHARED_ROOT, type PostgresUser } from './postgres-binaries.js';

/** File in the state directory naming the data directory when it lives elsewhere. */
const POINTER_FILE = 'pg-location';

/**
 * Where the embedded PostgreSQL of a state directory keeps its data: `<stateDir>/pg`, unless
 * PostgreSQL runs as another user (we are root) who cannot reach the state directory (a clone
 * under /root, a `mktemp -d` folder). Then it is /var/lib/keyward/pg-<hash of the state
 * directory's path>, and `<stateDir>/pg-location` points there so later starts find it.
 */
export async function embeddedDataDir(stateDir: string, runAs: PostgresUser | null): Promise<string> {
  const pointer = join(stateDir, POINTER_FILE);
  const recorded = (await readFile(pointer, 'utf8').catch(() => '')).trim();
  if (recorded) return recorded;
  const inside = resolve(stateDir, 'pg');
  const exists = await stat(join(inside, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!runAs || exists || (await othersCanReach(resolve(stateDir)))) return inside;
  const id = createHash('sha256')
    .update(await realpath(stateDir))
    .digest('hex')
    .slice(0, 16);
  const outside = join(SHARED_ROOT, `pg-${id}`);
  await mkdir(SHARED_ROOT, { recursive: true, mode: 0o755 });
  await writeFile(pointer, `${outside}\n`, { mode: 0o600 });
  return outside;
}
