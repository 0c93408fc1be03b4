/**
 * The config contract between the control plane and data-plane nodes.
 *
 * A node subscribes and receives one `ConfigSnapshot` (even when empty), then `ConfigDelta`s.
 * Every collection is keyed by a globally unique id (keys by their secret's hash) and every
 * entry carries its `orgId`, so a node serving many organizations keeps flat maps.
 * Versions are one monotonically increasing sequence per control plane: a delta applies only
 * to a node whose current version equals `fromVersion`; otherwise the node resubscribes and
 * receives a fresh snapshot.
 */
import type { AnomalyResponse, AnomalyStop } from '../anomaly/actions.js';
import type { AnomalyBaseline } from '../anomaly/baseline.js';
import type { McpAccess, McpServerConfig } from './mcp.js';
import type { HdpTrustedKey } from '../provenance/keys.js';
import type { CacheSettings, RoleConfig, RouteConfig } from './routes.js';

/** Every provider kind, in a stable order (for validators and forms). */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'gemini', 'openai_compatible'] as const;
/** Which wire format a provider speaks and how it authenticates. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Every API family a route can speak. */
export const API_FAMILIES = ['openai', 'anthropic', 'gemini'] as const;
/** The API family a data-plane route belongs to (what the agent's client speaks). */
export type ApiFamily = (typeof API_FAMILIES)[number];

export type Plan = 'free' | 'pro' | 'enterprise';

/**
 * An envelope-encrypted secret: AES-256-GCM under a fresh data key, the data key wrapped by a
 * key-encryption key (KEK) held by the KMS. The associated data (`orgId:credentialId`) is not
 * stored: the reader supplies it, so a ciphertext copied to another row does not decrypt.
 */
export interface SealedSecret {
  /** Identifies the KEK (backend and key version) that wrapped `wrappedKey`. */
  readonly kekId: string;
  /** Base64 of the wrapped data key. */
  readonly wrappedKey: string;
  /** Base64 of the 12-byte GCM nonce. */
  readonly iv: string;
  /** Base64 of the ciphertext. */
  readonly ciphertext: string;
  /** Base64 of the 16-byte GCM tag. */
  readonly tag: string;
}

export interface OrgConfig {
  readonly id: string;
  readonly plan: Plan;
  /** IANA time zone used for budget periods and time-of-day policy conditions. */
  readonly timeZone: string;
  /** When true, prompt and completion text may be attached to events. */
  readonly contentCapture: boolean;
  /** What a node does when shared counters (Redis) are unreachable. */
  readonly limiterFailMode: 'closed' | 'open';
  /** Organization-defined models and prices, placed above the built-in price catalog. */
  readonly customModels: readonly ModelPriceEntry[];
  /**
   * What a node does with a model that has no price while a budget or prepaid credits apply.
   * Absent (an older control plane) means `refuse`.
   */
  readonly unpricedModels?: UnpricedModelsPolicy;
  /** Anomaly scoring: its typical key's baseline, the prior of keys without a history of their own. Absent: none yet. */
  readonly anomalyBaseline?: AnomalyBaseline | null;
  /** Ed25519 keys trusted to sign HDP delegation tokens (issuers by kid, agents by agentId). Absent (an older control plane): none. */
  readonly hdpTrustedKeys?: readonly HdpTrustedKey[];
}

/**
 * The organization's choice for models without a price (neither built in nor custom): `refuse`
 * them while a budget or credits apply (the default), `charge` a set price per million tokens,
 * or `allow` them at no cost with the event tagged `unpriced`.
 */
export type UnpricedModelsPolicy =
  { readonly mode: 'refuse' } | { readonly mode: 'charge'; readonly inputPerMTok: number; readonly outputPerMTok: number } | { readonly mode: 'allow' };

/** Every `UnpricedModelsPolicy` mode, in a stable order. */
export const UNPRICED_MODEL_MODES = ['refuse', 'charge', 'allow'] as const satisfies readonly UnpricedModelsPolicy['mode'][];

/** Prices in integer micro-dollars per million tokens. */
export interface ModelPriceEntry {
  readonly model: string;
  readonly provider: ProviderKind;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok: number;
}

export interface KeyConfig {
  readonly id: string;
  readonly orgId: string;
  /** Hex HMAC-SHA256 of the secret: the map key the node looks up. */
  readonly hash: string;
  /** The non-secret display prefix (`kw_` plus a few characters). */
  readonly prefix: string;
  readonly name: string;
  readonly ownerLabel: string;
  readonly teamId: string | null;
  readonly status: 'active' | 'revoked';
  /** ISO time after which the key no longer works (null: no expiry). */
  readonly expiresAt: string | null;
  /**
   * Set on the entry of a rotated-out secret: it keeps working until this ISO time.
   * The new secret has its own entry with the same `id`.
   */
  readonly graceUntil: string | null;
  /** Model globs the key may use; empty means any model the routes offer. */
  readonly allowedModels: readonly string[];
  /** Credential ids this key may route to, in order of preference; empty means any of the org's. */
  readonly credentialIds: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The key's response cache; it wins over its route's. Null or absent (older control planes): the route's, if any. */
  readonly cache?: CacheSettings | null;
  /** The key pool the key was given from: budgets and rate limits scoped to the pool count it. Absent or null: none. */
  readonly poolId?: string | null;
  /** True while the key's pool, or the key within it, is paused: nodes refuse it. Absent: false. */
  readonly paused?: boolean;
  /** Anomaly scoring: what the control plane has learned of this key's usual behaviour. Absent: nothing yet. */
  readonly anomalyBaseline?: AnomalyBaseline | null;
  /** What a request scoring at or above the threshold sets off (the key's, team's or organization's choice). Absent: record at 80. */
  readonly anomalyResponse?: AnomalyResponse;
  /** Set while the key is frozen after an anomaly: nodes refuse it until a person unfreezes it. */
  readonly frozen?: AnomalyStop;
  /** Set while the key's requests are held for approval after an anomaly, until a person releases it. */
  readonly held?: AnomalyStop;
  /** When a person last released the key (unfroze it or ended its hold): a node's own earlier stop of the key ends. */
  readonly releasedAt?: string;
  /** The MCP servers and tools the key may call; absent or empty (older control planes too): none. */
  readonly mcpAccess?: readonly McpAccess[];
  /** Refuse requests without a valid HDP delegation token. Absent (an older control plane): false. */
  readonly requireProvenance?: boolean;
  // The policies attached to the key are found by their attachments (`{ kind: 'key', id }`), like
  // those of its organization and team. Control planes before that also sent `policyIds` here,
  // the same policies a second time; nodes ignore it.
}

export interface CredentialConfig {
  readonly id: string;
  readonly orgId: string;
  readonly provider: ProviderKind;
  readonly name: string;
  /** Custom base URL (required for openai_compatible); null means the provider's default. */
  readonly baseUrl: string | null;
  /** Model globs this credential serves; empty means every model of its provider. */
  readonly models: readonly string[];
  readonly secret: SealedSecret;
  /** Bumped on every rotation so nodes drop cached plaintext. */
  readonly secretVersion: number;
}

/** Where a policy, budget or rate limit applies: the whole organization, one team or one key. */
export interface ScopeRef {
  readonly kind: 'org' | 'team' | 'key';
  /** The organization's, team's or key's id. */
  readonly id: string;
}

/**
 * Where a budget or rate limit applies: a `ScopeRef`, or a key pool (every key given from it,
 * counted together). Policies attach to `ScopeRef`s only.
 */
export interface LimitScopeRef {
  readonly kind: ScopeRef['kind'] | 'pool';
  /** The organization's, team's, key's or pool's id. */
  readonly id: string;
}

/**
 * One version of a policy, as enforced. `document` is the policy language's normalized form
 * (`PolicyDocument` from the policy module); nodes re-validate it with `validatePolicyDocument`
 * and compile it once per config change.
 */
export interface PolicyConfig {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly version: number;
  /** Disabled policies are still published so the console can show them, but nodes skip them. */
  readonly enabled: boolean;
  /** Where the policy is attached; an empty list means nowhere (not enforced). */
  readonly attachments: readonly ScopeRef[];
  readonly document: unknown;
}

/** How often a budget starts over; calendar periods follow the organization's time zone. */
export type BudgetPeriod = 'day' | 'week' | 'month' | 'lifetime';

/** A spending cap on a scope for a period, in integer micro-dollars. */
export interface BudgetConfig {
  readonly id: string;
  readonly orgId: string;
  readonly scope: LimitScopeRef;
  readonly period: BudgetPeriod;
  readonly limitMicros: number;
  /** `block` refuses a request that does not fit; `hold` sends it for approval. */
  readonly action: 'block' | 'hold';
  /** Percentages of the limit at which settled spend raises an alert, e.g. `[50, 80, 100]`. */
  readonly alertThresholds: readonly number[];
  /** The name people gave it (empty when none; `prepaid credits` for the credit balance). */
  readonly name?: string;
  /**
   * What was already spent in the current period when the control plane compiled this entry,
   * so a node counts a new budget from there rather than from zero until its next re-sync.
   */
  readonly spend?: BudgetSpendSeed | null;
}

/** A budget period's settled spend as PostgreSQL had it at compile time. */
export interface BudgetSpendSeed {
  /** The period it belongs to (`2025-03-12`, `2025-W11`, `2025-03`, `lifetime`). */
  readonly periodKey: string;
  readonly spentMicros: number;
}

/** Per-minute request and token rates and a cap on requests in flight, for one scope. */
export interface RateLimitConfig {
  readonly id: string;
  readonly orgId: string;
  readonly scope: LimitScopeRef;
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  readonly concurrentRequests?: number;
}

/** Collections a snapshot carries; deltas name changed and removed entries of the same ones. */
export interface ConfigCollections {
  readonly orgs: Readonly<Record<string, OrgConfig>>;
  readonly keys: Readonly<Record<string, KeyConfig>>;
  readonly credentials: Readonly<Record<string, CredentialConfig>>;
  readonly policies: Readonly<Record<string, PolicyConfig>>;
  readonly budgets: Readonly<Record<string, BudgetConfig>>;
  readonly rateLimits: Readonly<Record<string, RateLimitConfig>>;
  readonly routes: Readonly<Record<string, RouteConfig>>;
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly mcpServers: Readonly<Record<string, McpServerConfig>>;
}

export type CollectionName = keyof ConfigCollections;

export const COLLECTION_NAMES: readonly CollectionName[] = [
  'orgs',
  'keys',
  'credentials',
  'policies',
  'budgets',
  'rateLimits',
  'routes',
  'roles',
  'mcpServers',
];

export interface ConfigSnapshot extends ConfigCollections {
  readonly type: 'snapshot';
  readonly version: number;
  /** ISO time the control plane produced this message. */
  readonly generatedAt: string;
}

/**
 * What changed between two versions. `version` is greater than `fromVersion`, except for the
 * empty delta at a node's own version that confirms a resumed node is current.
 */
export interface ConfigDelta {
  readonly type: 'delta';
  readonly fromVersion: number;
  readonly version: number;
  readonly generatedAt: string;
  readonly changed: Partial<ConfigCollections>;
  readonly removed: Partial<Record<CollectionName, readonly string[]>>;
}

export type ConfigMessage = ConfigSnapshot | ConfigDelta;
