import {
  applyCollectionChanges,
  type ConfigChanges,
  type ConfigCollections,
  type ConfigSnapshot,
  type CredentialConfig,
  type KeyConfig,
  type McpServerConfig,
  type OrgConfig,
} from '@keyward/shared';
import { LayeredMap } from './layered-map.js';

/** A delta's part that a view applies: its changes and the version they lead to. */
export interface ViewChange extends ConfigChanges {
  readonly version: number;
  readonly generatedAt: string;
}

/** How a view came from the one served before it: what hangs off views updates only what `changes` touched. */
export interface ViewUpdate {
  readonly previous: ConfigView;
  readonly changes: ConfigChanges;
}

/** The collections a view keeps as the snapshot carries them (all but the keys, which can be many). */
type SmallCollections = Omit<ConfigCollections, 'keys'>;

/**
 * An immutable config version with the lookup indexes the request path needs. Maps rather than
 * the snapshot's records, so a key hash can never hit an inherited object property.
 *
 * A view is built whole from a snapshot, or derived from the previous one by a delta
 * (`applying`), which costs what the delta touches: the keys sit in a `LayeredMap`, and the
 * other indexes (organizations, credentials) are rebuilt only when their collection changed;
 * an untouched collection is the previous view's object. Both ways give the same view.
 */
export class ConfigView {
  readonly version: number;
  readonly generatedAt: string;
  private readonly small: SmallCollections;
  private readonly keys: LayeredMap<KeyConfig>;
  private readonly orgs: ReadonlyMap<string, OrgConfig>;
  private readonly credentials: ReadonlyMap<string, CredentialConfig>;
  private readonly credentialsByOrg: ReadonlyMap<string, CredentialConfig[]>;
  /** MCP servers by `<orgId>/<name>`. */
  private readonly mcpServersByName: ReadonlyMap<string, McpServerConfig>;
  private whole: ConfigSnapshot | null = null;

  constructor(snapshot: ConfigSnapshot);
  /** Prefer `previous.applying(change)`. */
  constructor(change: ViewChange, previous: ConfigView);
  constructor(source: ConfigSnapshot | ViewChange, previous?: ConfigView) {
    this.version = source.version;
    this.generatedAt = source.generatedAt;
    if (previous === undefined) {
      const snapshot = source as ConfigSnapshot;
      const { keys, orgs, credentials, policies, budgets, rateLimits, routes, roles, mcpServers } = snapshot;
      this.small = { orgs, credentials, policies, budgets, rateLimits, routes, roles, mcpServers };
      this.keys = LayeredMap.of(Object.values(keys).map((k) => [k.hash, k] as const));
      this.whole = snapshot;
    } else {
      const { changed, removed } = source as ViewChange;
      const small = { ...previous.small } as Record<keyof SmallCollections, unknown>;
      for (const name of Object.keys(small) as (keyof SmallCollections)[]) {
        small[name] = applyCollectionChanges(previous.small[name], changed[name], removed[name]);
      }
      this.small = small as unknown as SmallCollections;
      const touchesKeys = changed.keys !== undefined || (removed.keys?.length ?? 0) > 0;
      this.keys = touchesKeys ? previous.keys.with(changed.keys ?? {}, removed.keys ?? []) : previous.keys;
    }
    const reuse = previous !== undefined;
    this.orgs = reuse && this.small.orgs === previous.small.orgs ? previous.orgs : new Map(Object.entries(this.small.orgs));
    if (reuse && this.small.credentials === previous.small.credentials) {
      this.credentials = previous.credentials;
      this.credentialsByOrg = previous.credentialsByOrg;
    } else {
      this.credentials = new Map(Object.entries(this.small.credentials));
      this.credentialsByOrg = byOrg(this.credentials);
    }
    this.mcpServersByName =
      reuse && this.small.mcpServers === previous.small.mcpServers
        ? previous.mcpServersByName
        : new Map(Object.values(this.small.mcpServers).map((s) => [`${s.orgId}/${s.name}`, s]));
  }

  /** The view after `change`, derived from this one; this view stays as it was. */
  applying(change: ViewChange): ConfigView {
    return new ConfigView(change, this);
  }

  /**
   * The whole snapshot this view serves, as written to disk. Built on first use for a derived
   * view (it walks every key), so keep it off the request path.
   */
  get snapshot(): ConfigSnapshot {
    this.whole ??= {
      type: 'snapshot',
      version: this.version,
      generatedAt: this.generatedAt,
      ...this.small,
      keys: Object.fromEntries(this.keys.entries()),
    };
    return this.whole;
  }

  /** The key whose secret hashes to `hash`. */
  keyByHash(hash: string): KeyConfig | undefined {
    return this.keys.get(hash);
  }

  /** Every key entry (one per secret: a rotated-out secret in its grace period is an entry of its own). */
  allKeys(): IterableIterator<KeyConfig> {
    return this.keys.values();
  }

  org(id: string): OrgConfig | undefined {
    return this.orgs.get(id);
  }

  credential(id: string): CredentialConfig | undefined {
    return this.credentials.get(id);
  }

  /** The organization's credentials in a stable order (by id). */
  orgCredentials(orgId: string): readonly CredentialConfig[] {
    return this.credentialsByOrg.get(orgId) ?? [];
  }

  /** The organization's MCP server called `name`. */
  mcpServer(orgId: string, name: string): McpServerConfig | undefined {
    return this.mcpServersByName.get(`${orgId}/${name}`);
  }

  /** Every policy by id, as the config carries them (the same object while policies do not change). */
  get policies(): ConfigCollections['policies'] {
    return this.small.policies;
  }

  /** Every budget by id (the same object while budgets do not change). */
  get budgets(): ConfigCollections['budgets'] {
    return this.small.budgets;
  }

  /** Every rate limit by id (the same object while rate limits do not change). */
  get rateLimits(): ConfigCollections['rateLimits'] {
    return this.small.rateLimits;
  }

  /** Every route by id (the same object while routes do not change). */
  get routes(): ConfigCollections['routes'] {
    return this.small.routes;
  }

  /** Every agent role by id (the same object while roles do not change). */
  get roles(): ConfigCollections['roles'] {
    return this.small.roles;
  }

  /** Sizes for logs and readiness. */
  counts(): { orgs: number; keys: number; credentials: number } {
    return { orgs: this.orgs.size, keys: this.keys.size, credentials: this.credentials.size };
  }
}

function byOrg(credentials: ReadonlyMap<string, CredentialConfig>): Map<string, CredentialConfig[]> {
  const index = new Map<string, CredentialConfig[]>();
  const sorted = [...credentials.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const credential of sorted) {
    const list = index.get(credential.orgId);
    if (list) list.push(credential);
    else index.set(credential.orgId, [credential]);
  }
  return index;
}
