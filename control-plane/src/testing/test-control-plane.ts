import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadControlPlaneConfig, type ControlPlaneConfig } from '../config.js';
import { freePort } from '../db/embedded-postgres.js';
import { startControlPlane, type RunningControlPlane } from '../server.js';

export interface TestControlPlane extends RunningControlPlane {
  /** Every log line written so far (JSON strings), for secret scans. */
  readonly logs: string[];
  /** Plain-text operator output (the first-start banner), in the order written. */
  readonly terminal: string[];
  readonly config: ControlPlaneConfig;
  /** A URL of this control plane's own database (tests may inspect rows). */
  readonly databaseUrl: string;
  /** Name of that database on the test server (pass it as `databaseName` to restart on it). */
  readonly databaseName: string;
  /** Sends a GraphQL request over real HTTP. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, auth?: GqlAuth): Promise<GqlResult<T>>;
}

export interface TestControlPlaneOptions {
  /** Reuse this existing database of the test server (a restart) instead of creating one. */
  readonly databaseName?: string;
  /** Connect through this URL instead (e.g. a proxy that can cut the database away). */
  readonly databaseUrl?: string;
  /** Leave the database in place on close, so another control plane can start on it. */
  readonly keepDatabase?: boolean;
}

export interface GqlAuth {
  /** `Bearer` token (API token or node token). */
  readonly token?: string;
  /** Session cookie value. */
  readonly session?: string;
  /** Organization header for people in several organizations. */
  readonly orgId?: string;
  readonly headers?: Record<string, string>;
}

export interface GqlResult<T> {
  readonly status: number;
  readonly data: T | null;
  readonly errors: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: unknown[] }[] | undefined;
  readonly headers: Headers;
}

/**
 * Starts a control plane on a fresh database of the test PostgreSQL server, on a free port,
 * with a local KMS key file and random secrets. `close()` stops it and drops the database.
 */
export async function startTestControlPlane(
  pgAdminUrl: string,
  env: Record<string, string> = {},
  options: TestControlPlaneOptions = {},
): Promise<TestControlPlane> {
  const { dbName, databaseUrl, config, logs, sink, remove } = await prepareTestControlPlane(pgAdminUrl, env, options);
  const terminal: string[] = [];
  const cp = await startControlPlane(
    { ...config, publicUrl: config.publicUrl },
    { databaseUrl, logDestination: sink, terminal: (text) => void terminal.push(text) },
  );
  return {
    ...cp,
    logs,
    terminal,
    config,
    databaseUrl,
    gql: (query, variables, auth) => gqlRequest(cp.url, query, variables, auth),
    databaseName: dbName,
    async close() {
      await cp.close();
      await remove({ keepDatabase: options.keepDatabase === true });
    },
  };
}

/** What a test control plane starts from; `remove` drops the database (unless kept) and the state directory. */
export interface TestControlPlaneGround {
  readonly dbName: string;
  readonly databaseUrl: string;
  readonly stateDir: string;
  readonly config: ControlPlaneConfig;
  /** Every log line written to `sink` (JSON strings), for secret scans. */
  readonly logs: string[];
  readonly sink: Writable;
  remove(options?: { keepDatabase?: boolean }): Promise<void>;
}

/**
 * A fresh database of the test PostgreSQL server (or the one named in `options`), a state
 * directory, a config with a local KMS key file and random secrets, and a log sink: shared by
 * the one-shot and the restartable test control planes.
 */
export async function prepareTestControlPlane(
  pgAdminUrl: string,
  env: Record<string, string> = {},
  options: Pick<TestControlPlaneOptions, 'databaseName' | 'databaseUrl'> = {},
): Promise<TestControlPlaneGround> {
  const dbName = options.databaseName ?? `kw_${randomBytes(6).toString('hex')}`;
  if (!options.databaseName) {
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    await admin.query(`create database "${dbName}"`);
    await admin.end();
  }
  const databaseUrl = options.databaseUrl ?? pgAdminUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`);
  const stateDir = await mkdtemp(join(tmpdir(), 'keyward-cp-'));
  // A port known before start, so the links the control plane prints and shows (sign-in links,
  // the SCIM base URL, the SSO redirect) name the address it really listens on.
  const port = String(await freePort());
  const config = loadControlPlaneConfig({
    NODE_ENV: 'test',
    KEYWARD_CP_PORT: port,
    KEYWARD_STATE_DIR: stateDir,
    KEYWARD_KMS: `local:${join(stateDir, 'kek.json')}`,
    KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
    KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
    KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    dbName,
    databaseUrl,
    stateDir,
    config,
    logs,
    sink,
    async remove({ keepDatabase = false } = {}) {
      if (!keepDatabase) {
        const a = new pg.Client({ connectionString: pgAdminUrl });
        await a.connect();
        await a.query(`drop database if exists "${dbName}" with (force)`);
        await a.end();
      }
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A GraphQL POST with optional bearer token, session cookie and organization header. */
export async function gqlRequest<T>(baseUrl: string, query: string, variables?: Record<string, unknown>, auth: GqlAuth = {}): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...auth.headers };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.session) headers.cookie = `kw_session=${auth.session}`;
  if (auth.orgId) headers['x-keyward-org'] = auth.orgId;
  const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  let body: { data?: T; errors?: GqlResult<T>['errors'] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: res.status, data: body.data ?? null, errors: body.errors, headers: res.headers };
}
