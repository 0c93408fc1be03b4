/**
 * Test helpers for keys, credentials, config push, nodes and events: organizations with members
 * and API tokens created straight in the database, a graphql-ws client that behaves like a
 * data-plane node, and usage events shaped like a node's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  displayPrefix,
  generateSecret,
  hashSecret,
  LocalFileKms,
  uuidv7,
  validateConfigMessage,
  type ConfigMessage,
  type EventBatch,
  type UsageEvent,
} from '@keyward/shared';
import type { Role } from '../auth/roles.js';
import type { ControlPlaneConfig } from '../config.js';
import { requestConfigPublish } from '../config-publish/publish.js';
import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import type { RunningControlPlane } from '../server.js';
import { startControlPlane } from '../server.js';
import { ApiToken } from '../tokens/api-token.entity.js';
import { User } from '../users/user.entity.js';
import { subscribe, type Subscription } from './graphql-ws-subscription.js';
import { gqlRequest, prepareTestControlPlane, type GqlResult } from './test-control-plane.js';

declare module 'vitest' {
  /** Provided by the global setup (`test/src/support/global-setup.ts`), which this package's tsconfig does not include. */
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

/** A local KMS key file made for one test file, passed to the control plane as `KEYWARD_KMS`. */
export interface LocalKmsFile {
  readonly path: string;
  /** Environment for `startTestControlPlane`. */
  readonly env: { KEYWARD_KMS: string };
  remove(): Promise<void>;
}

/**
 * Creates a local KMS key file (mode 0600, one KEK). The control plane opens `local:` key files
 * without creating them, so tests make theirs first.
 */
export async function createLocalKmsFile(): Promise<LocalKmsFile> {
  const dir = await mkdtemp(join(tmpdir(), 'keyward-kms-'));
  const path = join(dir, 'kek.json');
  await LocalFileKms.open(path, { create: true });
  return { path, env: { KEYWARD_KMS: `local:${path}` }, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The parts of a running control plane the helpers need. */
interface ControlPlaneLike {
  readonly url: string;
  readonly services: RunningControlPlane['services'];
}

/** A member of an organization with an API token acting as them. */
export interface OrgMember {
  readonly orgId: string;
  readonly userId: string;
  readonly role: Role;
  /** An API token (`kwt_…`) with the member's role. */
  readonly token: string;
  /** Sends GraphQL over HTTP with the member's token. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
}

/**
 * Creates an organization with one member of `role` (and its API token) directly in the
 * database, then publishes its config as the organization's creation would.
 */
export async function createOrgWithMember(cp: ControlPlaneLike, role: Role = 'owner', settings: Partial<Organization['settings']> = {}): Promise<OrgMember> {
  const em = cp.services.orm.em.fork({ clear: true });
  const suffix = randomBytes(4).toString('hex');
  const org = em.create(Organization, {
    name: `Org ${suffix}`,
    slug: `org-${suffix}`,
    plan: 'pro',
    settings: { timeZone: 'UTC', contentCapture: false, retentionDays: 30, contentRetentionDays: 90, limiterFailMode: 'closed', ...settings },
  });
  await em.flush();
  await requestConfigPublish(cp.services, org.id, 'organization created');
  return addMember(cp, org.id, role);
}

/** Adds a person with `role` (and an API token acting as them) to an existing organization. */
export async function addMember(cp: ControlPlaneLike, orgId: string, role: Role): Promise<OrgMember> {
  const em = cp.services.orm.em.fork({ clear: true });
  const suffix = randomBytes(4).toString('hex');
  const user = em.create(User, { email: `${role}-${suffix}@example.test`, name: `${role} ${suffix}`, passwordHash: null });
  em.create(Membership, { organization: orgId, user, role });
  const token = generateSecret('api_token');
  em.create(ApiToken, {
    organization: orgId,
    name: `${role} token`,
    prefix: displayPrefix(token),
    tokenHash: hashSecret(token, cp.services.config.keyPepper),
    role,
    createdBy: user,
  });
  await em.flush();
  return {
    orgId,
    userId: user.id,
    role,
    token,
    gql: (query, variables) => gqlRequest(cp.url, query, variables, { token }),
  };
}

/** Creates an organization-scoped node token through the API, as an admin would. */
export async function createNodeTokenFor(member: OrgMember, name = 'node'): Promise<string> {
  const res = await member.gql<{ createNodeToken: { secret: string } }>('mutation($name: String!) { createNodeToken(name: $name) { secret } }', { name });
  if (!res.data) throw new Error(`createNodeToken failed: ${JSON.stringify(res.errors)}`);
  return res.data.createNodeToken.secret;
}

/** A graphql-ws connection subscribed to `configStream`, as a data-plane node opens it; messages are validated as a node would. */
export type NodeStream = Subscription<ConfigMessage>;

/** Opens a node's config stream over graphql-ws with `Authorization: Bearer <node token>`. */
export function connectNode(cp: ControlPlaneLike, nodeToken: string, nodeId: string, knownVersion?: number): NodeStream {
  const raw = subscribe<unknown>(
    cp.url,
    nodeToken,
    'subscription($nodeId: String!, $knownVersion: Int) { configStream(nodeId: $nodeId, knownVersion: $knownVersion) }',
    'configStream',
    { nodeId, knownVersion: knownVersion ?? null },
  );
  return { ...raw, next: async (timeoutMs) => validateConfigMessage(await raw.next(timeoutMs)) };
}

/** A usage event as a node reports it, for `key` of `orgId`; fields can be overridden. */
export function usageEvent(orgId: string, keyId: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: uuidv7(),
    orgId,
    keyId,
    keyPrefix: 'kw_AbCdE',
    ownerLabel: 'test agent',
    teamId: null,
    provider: 'openai',
    credentialId: null,
    api: 'openai',
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    stream: false,
    status: 200,
    decision: 'allowed',
    errorCode: null,
    startedAt: new Date().toISOString(),
    latencyMs: 120,
    ttftMs: 80,
    inputTokens: 10,
    outputTokens: 20,
    cachedInputTokens: 0,
    costMicros: 150,
    clientIpHash: 'c1',
    userAgentHash: 'u1',
    requestId: randomUUID(),
    nodeId: 'node-a',
    tags: [],
    content: null,
    ...overrides,
  };
}

/** Posts an event batch to `/v1/node/events` with a node token (or any Authorization value). */
export async function postEvents(
  cp: ControlPlaneLike,
  authorization: string | null,
  body: EventBatch | unknown,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization.startsWith('Bearer ') ? authorization : `Bearer ${authorization}`;
  const res = await fetch(`${cp.url}/v1/node/events`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A control plane that can be stopped and started again on the same database and state. */
export interface RestartableControlPlane {
  readonly config: ControlPlaneConfig;
  readonly databaseUrl: string;
  /** Every log line of every run. */
  readonly logs: string[];
  /** Starts (or starts again) the control plane. */
  start(): Promise<RunningControlPlane>;
  /** Stops a running instance (if any) and drops the database. */
  destroy(): Promise<void>;
}

/** Prepares a fresh database and state directory for a control plane a test restarts. */
export async function restartableControlPlane(pgAdminUrl: string, env: Record<string, string> = {}): Promise<RestartableControlPlane> {
  const ground = await prepareTestControlPlane(pgAdminUrl, env);
  const { config, databaseUrl, logs, sink } = ground;
  // The KMS key file is provisioned before the first start, not by it.
  await LocalFileKms.open(join(ground.stateDir, 'kek.json'), { create: true });
  let running: RunningControlPlane | null = null;
  return {
    config,
    databaseUrl,
    logs,
    async start() {
      if (running) await running.close();
      running = await startControlPlane(config, { databaseUrl, logDestination: sink, terminal: () => undefined });
      const started = running;
      return {
        ...started,
        async close() {
          await started.close();
          if (running === started) running = null;
        },
      };
    },
    async destroy() {
      if (running) await running.close();
      running = null;
      await ground.remove();
    },
  };
}

/** Fails when any captured log line contains one of the secrets. */
export function findSecretsInLogs(logs: readonly string[], secrets: readonly string[]): string[] {
  return secrets.filter((secret) => logs.some((line) => line.includes(secret)));
}
