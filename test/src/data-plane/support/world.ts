import { randomBytes } from 'node:crypto';
import {
  createKms,
  type CacheSettings,
  displayPrefix,
  generateSecret,
  hashSecret,
  sealSecret,
  uuidv7,
  type ConfigSnapshot,
  type CredentialConfig,
  type KeyConfig,
  type Kms,
  type ModelPriceEntry,
  type OrgConfig,
  type ProviderKind,
  type RoleConfig,
  type RouteConfig,
  type RouteCredentialTarget,
  type RouteDocument,
  type ScopeRef,
} from '@keyward/shared';

/** Options for one test key; anything left out is a plain active key with no restrictions. */
interface KeyOptions {
  readonly status?: 'active' | 'revoked';
  readonly expiresAt?: string | null;
  readonly graceUntil?: string | null;
  readonly allowedModels?: readonly string[];
  readonly credentialIds?: readonly string[];
  readonly orgId?: string;
  readonly cache?: CacheSettings | null;
}

/** A test key: the secret an agent presents and its config entry. */
export interface TestKey {
  readonly secret: string;
  readonly config: KeyConfig;
}

/** A test credential: its config entry and the plaintext the provider should receive. */
export interface TestCredential {
  readonly plaintext: string;
  readonly config: CredentialConfig;
}

/**
 * Everything a data-plane test needs to build config like the control plane would: a real KMS
 * (a `local-key:` KEK), a pepper, an org, and helpers that mint keys and seal credentials.
 */
/** A route target on a test credential: weight 1, a 5 s timeout, no retries unless `extra` says so. */
export function routeTarget(credential: TestCredential, model: string, extra: Partial<RouteCredentialTarget> = {}): RouteCredentialTarget {
  return { credentialId: credential.config.id, model, weight: 1, timeoutMs: 5_000, maxRetries: 0, contextTokens: null, ...extra };
}

export interface TestWorld {
  readonly kms: Kms;
  readonly kmsSpec: string;
  readonly pepper: Buffer;
  readonly nodeToken: string;
  readonly org: OrgConfig;
  /** Every secret the world created, to check none leaked into logs. */
  readonly secrets: string[];
  key(options?: KeyOptions): TestKey;
  credential(
    provider: ProviderKind,
    baseUrl: string | null,
    options?: { models?: readonly string[]; plaintext?: string; orgId?: string },
  ): Promise<TestCredential>;
  snapshot(parts: {
    keys: readonly TestKey[];
    credentials: readonly TestCredential[];
    version?: number;
    orgs?: readonly OrgConfig[];
    routes?: readonly RouteConfig[];
    roles?: readonly RoleConfig[];
  }): ConfigSnapshot;
  /** A route of the world's organization: fallback, default breaker, bound where `attachments` say. */
  route(doc: Partial<RouteDocument> & Pick<RouteDocument, 'match' | 'targets'>, attachments?: readonly ScopeRef[]): RouteConfig;
  /** An extra organization (e.g. to check isolation). */
  newOrg(overrides?: Partial<OrgConfig>): OrgConfig;
}

/** Builds a fresh world; `orgOverrides` sets content capture, custom models and such. */
export async function createTestWorld(orgOverrides: Partial<OrgConfig> = {}): Promise<TestWorld> {
  const kekBase64 = randomBytes(32).toString('base64');
  const kmsSpec = `local-key:${kekBase64}`;
  const kms = await createKms(kmsSpec);
  const pepper = randomBytes(32);
  const nodeToken = generateSecret('node_token');
  const secrets: string[] = [nodeToken, kekBase64, pepper.toString('base64')];
  const newOrg = (overrides: Partial<OrgConfig> = {}): OrgConfig => ({
    id: uuidv7(),
    plan: 'pro',
    timeZone: 'UTC',
    contentCapture: false,
    limiterFailMode: 'open',
    customModels: [] as ModelPriceEntry[],
    ...overrides,
  });
  const org = newOrg(orgOverrides);
  return {
    kms,
    kmsSpec,
    pepper,
    nodeToken,
    org,
    secrets,
    newOrg,
    key(options = {}) {
      const secret = generateSecret('key');
      secrets.push(secret);
      const config: KeyConfig = {
        id: uuidv7(),
        orgId: options.orgId ?? org.id,
        hash: hashSecret(secret, pepper),
        prefix: displayPrefix(secret),
        name: 'test key',
        ownerLabel: 'agent-under-test',
        teamId: null,
        status: options.status ?? 'active',
        expiresAt: options.expiresAt ?? null,
        graceUntil: options.graceUntil ?? null,
        allowedModels: options.allowedModels ?? [],
        credentialIds: options.credentialIds ?? [],
        labels: {},
        cache: options.cache ?? null,
      };
      return { secret, config };
    },
    async credential(provider, baseUrl, options = {}) {
      const id = uuidv7();
      const orgId = options.orgId ?? org.id;
      const plaintext = options.plaintext ?? `sk-real-${provider}-${randomBytes(12).toString('hex')}`;
      secrets.push(plaintext);
      const config: CredentialConfig = {
        id,
        orgId,
        provider,
        name: `${provider} credential`,
        baseUrl,
        models: options.models ?? [],
        secret: await sealSecret(kms, plaintext, `${orgId}:${id}`),
        secretVersion: 1,
      };
      return { plaintext, config };
    },
    route(doc, attachments = [{ kind: 'org', id: org.id }]) {
      return {
        id: uuidv7(),
        orgId: org.id,
        version: 1,
        name: 'test route',
        strategy: 'fallback',
        rules: [],
        maxLatencyMs: null,
        breaker: { consecutiveFailures: 5, errorRatePercent: 50, windowSeconds: 60, minRequests: 10, openSeconds: 30 },
        attachments,
        ...doc,
      };
    },
    snapshot({ keys, credentials, version = 1, orgs = [], routes = [], roles = [] }) {
      return {
        type: 'snapshot',
        version,
        generatedAt: new Date().toISOString(),
        orgs: Object.fromEntries([org, ...orgs].map((o) => [o.id, o])),
        keys: Object.fromEntries(keys.map((k) => [k.config.hash, k.config])),
        credentials: Object.fromEntries(credentials.map((c) => [c.config.id, c.config])),
        policies: {},
        budgets: {},
        rateLimits: {},
        routes: Object.fromEntries(routes.map((r) => [r.id, r])),
        roles: Object.fromEntries(roles.map((r) => [r.id, r])),
        mcpServers: {},
      };
    },
  };
}
