/**
 * The benchmark's control plane, as its own child process so its work (event ingestion into
 * PostgreSQL) is measured apart from the data plane's: it starts the embedded PostgreSQL (or
 * uses `BENCH_PG_ADMIN_URL`), a control plane on a fresh database, an organization with an
 * owner, and the benchmark configuration (`lib/keyward-config.ts`), then reports over IPC.
 *
 * Environment: the secrets both planes share (`KEYWARD_KEY_PEPPER`, `KEYWARD_HASH_SALT`,
 * `KEYWARD_NODE_TOKEN`, `KEYWARD_KMS=local:<file>`), `BENCH_STATE_DIR`, `BENCH_MOCK_URL`.
 * SIGTERM stops the control plane and PostgreSQL and removes their files.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalFileKms } from '@keyward/shared';
import { loadControlPlaneConfig, startControlPlane, startEmbeddedPostgres, type RunningControlPlane, type RunningPostgres } from '@keyward/control-plane';
import { createOrgWithMember, gqlRequest } from '@keyward/control-plane/testing';
import pg from 'pg';
import { configureKeyward } from '../lib/keyward-config.js';

const env = process.env;
const stateDir = env.BENCH_STATE_DIR!;
const mockUrl = env.BENCH_MOCK_URL!;
let postgres: RunningPostgres | null = null;
let cp: RunningControlPlane | null = null;
let stopping: Promise<void> | null = null;

async function start(): Promise<void> {
  let adminUrl = env.BENCH_PG_ADMIN_URL || '';
  if (!adminUrl) {
    const pgDir = join(stateDir, 'postgres');
    await mkdir(pgDir, { recursive: true });
    // PostgreSQL runs as the `postgres` user when we are root; it must be able to create its directory.
    await chmod(pgDir, 0o777);
    postgres = await startEmbeddedPostgres({ dataDir: join(pgDir, 'data'), ephemeral: true });
    adminUrl = postgres.adminUrl;
  }
  const database = `kw_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  process.env.BENCH_DATABASE = database;

  const kmsFile = env.KEYWARD_KMS!.slice('local:'.length);
  await LocalFileKms.open(kmsFile, { create: true });
  const config = loadControlPlaneConfig({
    ...env,
    NODE_ENV: 'production',
    KEYWARD_CP_PORT: '0',
    KEYWARD_STATE_DIR: join(stateDir, 'control-plane'),
    KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
    LOG_LEVEL: env.LOG_LEVEL || 'info',
  });
  cp = await startControlPlane(config, { databaseUrl: adminUrl.replace(/\/[^/?]*(\?|$)/, `/${database}$1`), terminal: () => undefined });
  const owner = await createOrgWithMember(cp, 'owner');
  const setup = await configureKeyward((query, variables) => gqlRequest(cp!.url, query, variables, { token: owner.token }), mockUrl);
  process.send?.({ url: cp.url, orgId: owner.orgId, ownerToken: owner.token, setup, database, adminUrl });
}

async function stop(): Promise<void> {
  await cp?.close().catch(() => undefined);
  if (env.BENCH_PG_ADMIN_URL && process.env.BENCH_DATABASE) {
    const admin = new pg.Client({ connectionString: env.BENCH_PG_ADMIN_URL });
    await admin.connect().catch(() => undefined);
    await admin.query(`drop database if exists "${process.env.BENCH_DATABASE}" with (force)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
  await postgres?.stop().catch(() => undefined);
  await rm(join(stateDir, 'postgres'), { recursive: true, force: true });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping ??= stop().finally(() => process.exit(0));
  });
}

start().catch(async (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.send?.({ error: (err as Error).message });
  await stop();
  process.exit(1);
});
