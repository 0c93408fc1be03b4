import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { generateSecret } from '@keyward/shared';
import { gqlRequest } from '@keyward/control-plane/testing';
import { startRedisServer, type RedisServer } from '@keyward/data-plane/testing';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { firstOwnerToken, processSystemBase, startPlaneProcess, type PlaneProcess } from './plane-process.js';
import { freePort } from './system.js';

/**
 * What every process of a test fleet shares: a fresh database on the test server, the secrets
 * and KMS key file, one Redis and one mock provider. Planes are started from the build as
 * processes of their own, each on a fixed port and state directory so it can be restarted.
 */
export interface FleetGround {
  readonly databaseUrl: string;
  readonly redis: RedisServer;
  readonly mock: MockProvider;
  /** A client on the fleet's database. */
  readonly db: pg.Client;
  /** Environment every plane gets. */
  readonly shared: Readonly<Record<string, string>>;
  /** A control plane's settings: the same port and state directory on every start. */
  controlPlane(i: number): Promise<PlaneSettings>;
  /** A node's settings, given the control planes it knows, in order. */
  dataPlane(i: number, controlPlaneUrls: readonly string[], extra?: Record<string, string>): Promise<PlaneSettings>;
  /** An owner API token of the first organization (after a control plane has started). */
  ownerToken(): Promise<string>;
  /** Stops everything started through the ground and drops the database. */
  close(): Promise<void>;
}

/** How to start one plane, again and again. */
interface PlaneSettings {
  readonly port: number;
  readonly env: Record<string, string>;
  /** Starts the plane from the repository's build, or from another release's under `root`. */
  start(root?: string): Promise<PlaneProcess>;
}

export async function prepareFleetGround(pgAdminUrl: string, env: Record<string, string> = {}): Promise<FleetGround> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const { databaseUrl, dir, kmsSpec } = await processSystemBase(pgAdminUrl, 'fleet', cleanups);
  const shared = {
    KEYWARD_KMS: kmsSpec,
    KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
    KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
    KEYWARD_NODE_TOKEN: generateSecret('node_token'),
    KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
    KEYWARD_DRAIN_SECONDS: '5',
    LOG_LEVEL: 'info',
    ...env,
  };
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const mock = await startMockProvider();
  cleanups.push(() => mock.close());
  const db = new pg.Client({ connectionString: databaseUrl });
  let dbConnected = false;
  const started: PlaneProcess[] = [];
  const settings = (plane: 'control-plane' | 'data-plane', port: number, planeEnv: Record<string, string>): PlaneSettings => ({
    port,
    env: planeEnv,
    async start(root) {
      const process = await startPlaneProcess(plane, port, planeEnv, undefined, root);
      started.push(process);
      return process;
    },
  });
  return {
    databaseUrl,
    redis,
    mock,
    db,
    shared,
    async controlPlane(i) {
      const port = await freePort();
      return settings('control-plane', port, {
        ...shared,
        DATABASE_URL: databaseUrl,
        KEYWARD_CP_PORT: String(port),
        KEYWARD_STATE_DIR: join(dir, `cp-${i}`),
      });
    },
    async dataPlane(i, controlPlaneUrls, extra = {}) {
      const port = await freePort();
      return settings('data-plane', port, {
        ...shared,
        KEYWARD_CONTROL_PLANE_URL: controlPlaneUrls.join(','),
        KEYWARD_DP_PORT: String(port),
        KEYWARD_DP_HOST: '127.0.0.1',
        KEYWARD_NODE_ID: `fleet-node-${i}`,
        KEYWARD_DP_STATE_DIR: join(dir, `dp-${i}`),
        REDIS_URL: redis.url,
        KEYWARD_EVENT_FLUSH_MS: '20',
        KEYWARD_EVENT_RETRY_MAX_MS: '300',
        KEYWARD_CONFIG_RETRY_MAX_MS: '300',
        ...extra,
      });
    },
    async ownerToken() {
      if (!dbConnected) {
        await db.connect();
        dbConnected = true;
      }
      return (await firstOwnerToken(db, shared.KEYWARD_KEY_PEPPER)).token;
    },
    async close() {
      for (const process of started) await process.stop().catch(() => undefined);
      if (dbConnected) await db.end().catch(() => undefined);
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    },
  };
}

/** GraphQL as the fleet's owner, through one control plane; throws with the errors on failure. */
export async function fleetGql<T>(cp: PlaneProcess, token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gqlRequest<T>(cp.url, query, variables, { token });
  if (!res.data) throw new Error(`${query.slice(0, 40)}… failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** Registers the mock provider as the organization's credential. */
export async function fleetCredential(cp: PlaneProcess, token: string, mock: MockProvider): Promise<void> {
  await fleetGql(cp, token, `mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
    input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey: `sk-mock-${randomBytes(12).toString('hex')}`, baseUrl: `${mock.url}/v1` },
  });
}

/** A key of the organization, with its secret. */
export async function fleetKey(cp: PlaneProcess, token: string, name: string): Promise<{ id: string; secret: string }> {
  const created = await fleetGql<{ createKey: { key: { id: string }; secret: string } }>(
    cp,
    token,
    `mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }`,
    { input: { name, ownerLabel: 'fleet', allowedModels: [] } },
  );
  return { id: created.createKey.key.id, secret: created.createKey.secret };
}
