import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret, LocalFileKms } from '@keyward/shared';
import { freePort } from '@keyward/control-plane';
import {
  createOrgWithMember,
  startTestControlPlane,
  type OrgMember,
  type TestControlPlane,
  type TestControlPlaneOptions,
} from '@keyward/control-plane/testing';
import { createLogger, loadDataPlaneConfig, startDataPlane, type DataPlane } from '@keyward/data-plane';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';

/** Secrets and key material both planes must share, made once per system. */
interface SharedSecrets {
  readonly pepper: string;
  readonly hashSalt: string;
  readonly nodeToken: string;
  readonly kmsSpec: string;
}

/** A running Keyward: control plane, one data-plane node subscribed to it, and a mock provider. */
export interface TestSystem {
  cp: TestControlPlane;
  dp: RunningNode;
  readonly mock: MockProvider;
  readonly secrets: SharedSecrets;
  /** An organization with an owner acting through an API token. */
  readonly owner: OrgMember;
  /** Every log line of both planes, for secret scans. */
  allLogs(): string[];
  /** The data-plane node's state directory (its event spool and last known good config). */
  readonly dataPlaneStateDir: string;
  /** Adds an OpenAI-compatible credential pointing at the mock provider; returns its id. */
  addMockCredential(member?: OrgMember): Promise<string>;
  /** Creates a Keyward key through GraphQL; returns its id and secret. */
  createKey(input?: Record<string, unknown>, member?: OrgMember): Promise<{ id: string; secret: string }>;
  /** Stops and starts the control plane on the same database. */
  restartControlPlane(options?: TestControlPlaneOptions): Promise<void>;
  /** Stops and starts the data-plane node with the same state directory. */
  restartDataPlane(): Promise<void>;
  close(): Promise<void>;
}

/** A data-plane node with its captured logs. */
interface RunningNode {
  readonly node: DataPlane;
  readonly url: string;
  readonly logs: string[];
}

/** Options for `startTestSystem`. */
export interface TestSystemOptions {
  /** Extra control-plane environment (e.g. `KEYWARD_CONSOLE_DIR` to serve the built console), kept across restarts. */
  readonly controlPlaneEnv?: Record<string, string>;
  /**
   * Gives the node a fixed free port, chosen before anything starts, and tells the control plane
   * it as `KEYWARD_GATEWAY_URL` (the address the console shows agents).
   */
  readonly advertiseGateway?: boolean;
  /** Extra data-plane environment (e.g. a short upstream timeout), kept across restarts. */
  readonly dataPlaneEnv?: Record<string, string>;
}

/** A port nothing listens on right now (the kernel's pick for an ephemeral listener). */
export { freePort };

/** Starts the whole system in-process on free ports, on a fresh database of the test server. */
export async function startTestSystem(pgAdminUrl: string, options: TestSystemOptions = {}): Promise<TestSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'keyward-system-'));
  const kmsPath = join(dir, 'kek.json');
  await LocalFileKms.open(kmsPath, { create: true });
  const secrets: SharedSecrets = {
    pepper: randomBytes(32).toString('base64'),
    hashSalt: randomBytes(32).toString('base64'),
    nodeToken: generateSecret('node_token'),
    kmsSpec: `local:${kmsPath}`,
  };
  const dpPort = options.advertiseGateway ? await freePort() : 0;
  const cpEnv = {
    ...(options.advertiseGateway ? { KEYWARD_GATEWAY_URL: `http://127.0.0.1:${dpPort}` } : {}),
    KEYWARD_KEY_PEPPER: secrets.pepper,
    KEYWARD_HASH_SALT: secrets.hashSalt,
    KEYWARD_NODE_TOKEN: secrets.nodeToken,
    KEYWARD_KMS: secrets.kmsSpec,
    ...options.controlPlaneEnv,
  };
  const mock = await startMockProvider();
  const retiredLogs: string[] = [];
  let cp = await startTestControlPlane(pgAdminUrl, cpEnv, { keepDatabase: true });
  const databaseName = cp.databaseName;
  const owner = await createOrgWithMember(cp, 'owner');
  const dpState = join(dir, 'data-plane');
  const startNode = async (): Promise<RunningNode> => {
    const logs: string[] = [];
    const config = loadDataPlaneConfig({
      KEYWARD_DP_PORT: String(dpPort),
      KEYWARD_DP_HOST: '127.0.0.1',
      KEYWARD_CONTROL_PLANE_URL: cp.url,
      KEYWARD_NODE_TOKEN: secrets.nodeToken,
      KEYWARD_NODE_ID: 'system-node',
      KEYWARD_DP_STATE_DIR: dpState,
      KEYWARD_KMS: secrets.kmsSpec,
      KEYWARD_KEY_PEPPER: secrets.pepper,
      KEYWARD_HASH_SALT: secrets.hashSalt,
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_EVENT_FLUSH_MS: '20',
      KEYWARD_EVENT_RETRY_MAX_MS: '200',
      KEYWARD_CONFIG_RETRY_MAX_MS: '200',
      KEYWARD_DRAIN_SECONDS: '2',
      KEYWARD_HEARTBEAT_SECONDS: '1',
      LOG_LEVEL: 'debug',
      ...options.dataPlaneEnv,
    });
    const node = await startDataPlane(config, { logger: createLogger('debug', { write: (l: string) => void logs.push(l) }) });
    await node.ready();
    return { node, url: node.url, logs };
  };
  let dp = await startNode();

  const system: TestSystem = {
    cp,
    dp,
    mock,
    secrets,
    owner,
    allLogs: () => [...retiredLogs, ...system.cp.logs, ...system.dp.logs],
    dataPlaneStateDir: dpState,
    async addMockCredential(member = owner) {
      const res = await member.gql<{ createCredential: { id: string } }>(
        `mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`,
        { input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey: `sk-mock-${randomBytes(12).toString('hex')}`, baseUrl: `${mock.url}/v1` } },
      );
      if (!res.data) throw new Error(`createCredential failed: ${JSON.stringify(res.errors)}`);
      return res.data.createCredential.id;
    },
    async createKey(input = {}, member = owner) {
      const res = await member.gql<{ createKey: { key: { id: string }; secret: string } }>(
        `mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }`,
        { input: { name: 'agent key', ownerLabel: 'test-agent', allowedModels: [], ...input } },
      );
      if (!res.data) throw new Error(`createKey failed: ${JSON.stringify(res.errors)}`);
      return { id: res.data.createKey.key.id, secret: res.data.createKey.secret };
    },
    async restartControlPlane(options = {}) {
      retiredLogs.push(...system.cp.logs);
      const port = String(system.cp.port);
      await system.cp.close().catch(() => undefined);
      // Same port: the node keeps its control-plane URL, as a real node would across a restart.
      cp = await startTestControlPlane(pgAdminUrl, { ...cpEnv, KEYWARD_CP_PORT: port }, { databaseName, keepDatabase: true, ...options });
      system.cp = cp;
    },
    async restartDataPlane() {
      retiredLogs.push(...system.dp.logs);
      await system.dp.node.close();
      dp = await startNode();
      system.dp = dp;
    },
    async close() {
      await system.dp.node.close().catch(() => undefined);
      await system.cp.close().catch(() => undefined);
      await mock.close();
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: pgAdminUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${databaseName}" with (force)`);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return system;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
