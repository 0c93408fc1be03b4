import type { EntityManager } from '@mikro-orm/postgresql';
import { wireBaseline } from '@keyward/shared';
import type {
  AnomalyBaseline,
  AnomalyResponse,
  ConfigCollections,
  CredentialConfig,
  KeyConfig,
  McpAccess,
  McpServerAuth,
  McpServerConfig,
  McpToolSettings,
  OrgConfig,
  Plan,
  ProviderKind,
  SealedSecret,
} from '@keyward/shared';
import { DEFAULT_ORGANIZATION_SETTINGS, type OrganizationSettings } from '../organizations/organization.entity.js';
import { mergeMcpAccess } from '@keyward/shared';
import { compilePolicyCollection } from './compile-policies.js';
import { compileLimits } from './compile-limits.js';
import { compileRoutes } from './compile-routes.js';
import { pricingOf, type PricingSettings } from '../budgets/pricing-settings.js';
import { sqlRows } from './sql.js';

/** Collections with nothing in them: the config of an organization that does not exist (any more). */
export const EMPTY_COLLECTIONS: ConfigCollections = Object.freeze({
  orgs: {},
  keys: {},
  credentials: {},
  policies: {},
  budgets: {},
  rateLimits: {},
  routes: {},
  roles: {},
  mcpServers: {},
});

/** Facts the reference check needs that the compiled collections do not carry. */
interface CompileFacts {
  /** For each key id that names a team: the organization that team belongs to (null: no such team). */
  readonly teamOrgOfKey: ReadonlyMap<string, string | null>;
}

/** One organization's compiled config and what is needed to check it. */
export interface CompiledOrg {
  readonly collections: ConfigCollections;
  readonly facts: CompileFacts;
}

interface OrgRow {
  id: string;
  plan: Plan;
  settings: Partial<OrganizationSettings> & PricingSettings;
  deletion_requested_at: Date | null;
}

interface KeyRow {
  id: string;
  name: string;
  owner_label: string;
  team_id: string | null;
  team_org: string | null;
  prefix: string;
  secret_hash: string;
  expires_at: Date | null;
  allowed_models: string[];
  cache_ttl_seconds: number | null;
  require_provenance: boolean;
  credential_ids: string[];
  labels: Record<string, string>;
  pool_id: string | null;
  paused: boolean;
  pool_expires_at: Date | null;
  mcp_access: McpAccess[];
  anomaly_response: AnomalyResponse | null;
  frozen_at: Date | null;
  frozen_reason: string | null;
  held_at: Date | null;
  held_reason: string | null;
  released_at: Date | null;
}

interface GraceRow {
  key_id: string;
  secret_hash: string;
  prefix: string;
  grace_until: Date;
}

interface CredentialRow {
  id: string;
  provider: ProviderKind;
  name: string;
  base_url: string | null;
  models: string[];
  secret_version: number;
  kek_id: string;
  wrapped_key: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

interface McpServerRow {
  id: string;
  name: string;
  url: string;
  auth: McpServerAuth;
  tool_settings: McpToolSettings[];
  secret_version: number;
  kek_id: string;
  wrapped_key: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/**
 * Reads one organization's enforcement config from the database (through `em`, so inside the
 * caller's transaction it sees the uncommitted change) and compiles it into wire entries.
 * Revoked keys are left out: a node drops them when the delta removes their hashes. Rotated-out
 * secrets past their grace period are left out too; expiry itself is evaluated by nodes from
 * `expiresAt` and `graceUntil`, so time passing never needs a publish.
 */
export async function compileOrg(em: EntityManager, orgId: string, now: Date): Promise<CompiledOrg> {
  const [org] = await sqlRows<OrgRow>(em, 'select id, plan, settings, deletion_requested_at from organizations where id = ?', [orgId]);
  if (!org) return { collections: EMPTY_COLLECTIONS, facts: { teamOrgOfKey: new Map() } };

  // An organization being deleted keeps no working key: nodes drop them with this version.
  const keysWork = org.deletion_requested_at === null;
  const keyRows = !keysWork
    ? []
    : await sqlRows<KeyRow>(
        em,
        `select k.id, k.name, k.owner_label, k.team_id, t.organization_id as team_org, k.prefix, k.secret_hash,
            k.expires_at, k.allowed_models, k.credential_ids, k.labels, k.cache_ttl_seconds, k.mcp_access, k.require_provenance,
            coalesce(k.anomaly_response, t.anomaly_response) as anomaly_response, k.frozen_at, k.frozen_reason, k.held_at, k.held_reason, k.released_at,
            r.pool_id, coalesce(r.paused_at is not null or p.status = 'paused', false) as paused, p.expires_at as pool_expires_at
       from keys k left join teams t on t.id = k.team_id
            left join pool_recipients r on r.key_id = k.id left join key_pools p on p.id = r.pool_id
      where k.organization_id = ? and k.status = 'active'
      order by k.id`,
        [orgId],
      );
  // MCP access granted to a team or to the whole organization reaches each key as part of its own.
  const grantRows = await sqlRows<{ team_id: string | null; access: McpAccess[] }>(
    em,
    'select team_id, access from mcp_access_grants where organization_id = ?',
    [orgId],
  );
  const orgGrant = grantRows.find((g) => g.team_id === null)?.access;
  const teamGrants = new Map(grantRows.flatMap((g) => (g.team_id === null ? [] : [[g.team_id, g.access] as const])));
  const graceRows = !keysWork
    ? []
    : await sqlRows<GraceRow>(
        em,
        `select s.key_id, s.secret_hash, s.prefix, s.grace_until
       from key_secrets s join keys k on k.id = s.key_id
      where s.organization_id = ? and k.status = 'active' and s.grace_until > ?
      order by s.key_id, s.grace_until`,
        [orgId, now],
      );
  const credentialRows = await sqlRows<CredentialRow>(
    em,
    `select id, provider, name, base_url, models, secret_version, kek_id, wrapped_key, iv, ciphertext, tag
       from credentials where organization_id = ? order by id`,
    [orgId],
  );
  const mcpServerRows = await sqlRows<McpServerRow>(
    em,
    `select id, name, url, auth, tool_settings, secret_version, kek_id, wrapped_key, iv, ciphertext, tag
       from mcp_servers where organization_id = ? order by id`,
    [orgId],
  );
  const policies = await compilePolicyCollection(em, orgId);
  const hdpTrustedKeys = await sqlRows<{ kid: string; publicKey: string; agentId: string | null }>(
    em,
    'select kid, public_key as "publicKey", agent_id as "agentId" from hdp_trusted_issuers where organization_id = ? order by kid',
    [orgId],
  );
  const baselines = new Map(
    (
      await sqlRows<{ scope_id: string; baseline: AnomalyBaseline }>(
        em,
        `select scope_id, baseline from anomaly_baselines where organization_id = ? and scope in ('key', 'organization')`,
        [orgId],
      )
    ).map((row) => [row.scope_id, wireBaseline(row.baseline)]),
  );
  const anomalyBaselineOf = (id: string) => {
    const baseline = baselines.get(id);
    return baseline === undefined ? {} : { anomalyBaseline: baseline };
  };

  const settings = { ...DEFAULT_ORGANIZATION_SETTINGS, ...org.settings };
  const orgConfig: OrgConfig = {
    id: org.id,
    plan: org.plan,
    timeZone: settings.timeZone,
    contentCapture: settings.contentCapture === true,
    limiterFailMode: settings.limiterFailMode,
    ...pricingOf(settings),
    ...(hdpTrustedKeys.length > 0 ? { hdpTrustedKeys } : {}),
    ...anomalyBaselineOf(org.id),
  };

  const keys: Record<string, KeyConfig> = {};
  const teamOrgOfKey = new Map<string, string | null>();
  const byId = new Map<string, KeyConfig>();
  for (const row of keyRows) {
    const mcpAccess = mergeMcpAccess(row.mcp_access ?? [], row.team_id ? teamGrants.get(row.team_id) : undefined, orgGrant);
    const entry: KeyConfig = {
      id: row.id,
      orgId,
      hash: row.secret_hash,
      prefix: row.prefix,
      name: row.name,
      ownerLabel: row.owner_label,
      teamId: row.team_id,
      status: 'active',
      expiresAt: iso(earliest(row.expires_at, row.pool_expires_at)),
      graceUntil: null,
      allowedModels: row.allowed_models ?? [],
      credentialIds: row.credential_ids ?? [],
      labels: row.labels ?? {},
      cache: row.cache_ttl_seconds === null ? null : { ttlSeconds: row.cache_ttl_seconds },
      // Only keys given from a pool carry these, so every other key's entry stays as it was.
      ...(row.pool_id ? { poolId: row.pool_id, paused: row.paused } : {}),
      // Left out when empty, so keys without MCP access compile as they did before it existed.
      ...(mcpAccess.length ? { mcpAccess } : {}),
      ...(row.require_provenance ? { requireProvenance: true } : {}),
      ...anomalyBaselineOf(row.id),
      ...anomalyStateOf(row, settings.anomalyResponse),
    };
    keys[entry.hash] = entry;
    byId.set(row.id, entry);
    if (row.team_id) teamOrgOfKey.set(row.id, row.team_org);
  }
  for (const row of graceRows) {
    const current = byId.get(row.key_id);
    if (!current) continue;
    keys[row.secret_hash] = { ...current, hash: row.secret_hash, prefix: row.prefix, graceUntil: iso(row.grace_until) };
  }

  const credentials: Record<string, CredentialConfig> = {};
  for (const row of credentialRows) {
    credentials[row.id] = {
      id: row.id,
      orgId,
      provider: row.provider,
      name: row.name,
      baseUrl: row.base_url,
      models: row.models ?? [],
      secret: sealedOf(row),
      secretVersion: row.secret_version,
    };
  }

  const mcpServers: Record<string, McpServerConfig> = {};
  for (const row of mcpServerRows) {
    mcpServers[row.id] = {
      id: row.id,
      orgId,
      name: row.name,
      url: row.url,
      auth: row.auth,
      secret: sealedOf(row),
      secretVersion: row.secret_version,
      // Left out when empty, so servers without tool settings compile as they did before they existed.
      ...(row.tool_settings.length ? { tools: row.tool_settings } : {}),
    };
  }

  return {
    collections: {
      orgs: { [org.id]: orgConfig },
      keys,
      credentials,
      policies,
      ...(await compileLimits(em, orgId, now)),
      ...(await compileRoutes(em, orgId)),
      mcpServers,
    },
    facts: { teamOrgOfKey },
  };
}

/**
 * A key's anomaly response (its own, its team's or its organization's; left out when none is
 * chosen, so nodes record at 80), and its stops and last release, left out when it has none.
 */
function anomalyStateOf(row: KeyRow, organizationResponse: AnomalyResponse | undefined): Partial<KeyConfig> {
  const response = row.anomaly_response ?? organizationResponse;
  return {
    ...(response ? { anomalyResponse: { action: response.action, threshold: response.threshold } } : {}),
    ...(row.frozen_at ? { frozen: { at: iso(row.frozen_at)!, reason: row.frozen_reason ?? '' } } : {}),
    ...(row.held_at ? { held: { at: iso(row.held_at)!, reason: row.held_reason ?? '' } } : {}),
    ...(row.released_at ? { releasedAt: iso(row.released_at)! } : {}),
  };
}

/** The earlier of two optional times: a pool's key stops at its own expiry or its pool's. */
function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null || b === null) return a ?? b;
  return new Date(a).getTime() <= new Date(b).getTime() ? a : b;
}

/** The sealed secret of a row that keeps one (`SealedSecretEntity`'s columns). */
function sealedOf(row: { kek_id: string; wrapped_key: string; iv: string; ciphertext: string; tag: string }): SealedSecret {
  return { kekId: row.kek_id, wrappedKey: row.wrapped_key, iv: row.iv, ciphertext: row.ciphertext, tag: row.tag };
}

function iso(value: Date | string | null): string | null {
  if (value === null || value === undefined) return null;
  return new Date(value).toISOString();
}
