import type { ConfigSnapshot, CredentialConfig, KeyConfig, OrgConfig } from '@keyward/shared';

/**
 * An immutable config snapshot with the lookup indexes the request path needs, built once per
 * change. Maps rather than the snapshot's records, so a key hash can never hit an inherited
 * object property.
 */
export class ConfigView {
  readonly version: number;
  private readonly keys: Map<string, KeyConfig>;
  private readonly orgs: Map<string, OrgConfig>;
  private readonly credentials: Map<string, CredentialConfig>;
  private readonly credentialsByOrg: Map<string, CredentialConfig[]>;

  constructor(readonly snapshot: ConfigSnapshot) {
    this.version = snapshot.version;
    this.keys = new Map(Object.values(snapshot.keys).map((k) => [k.hash, k]));
    this.orgs = new Map(Object.entries(snapshot.orgs));
    this.credentials = new Map(Object.entries(snapshot.credentials));
    this.credentialsByOrg = new Map();
    const sorted = [...this.credentials.values()].sort((a, b) => a.id.localeCompare(b.id));
    for (const credential of sorted) {
      const list = this.credentialsByOrg.get(credential.orgId);
      if (list) list.push(credential);
      else this.credentialsByOrg.set(credential.orgId, [credential]);
    }
  }

  /** The key whose secret hashes to `hash`. */
  keyByHash(hash: string): KeyConfig | undefined {
    return this.keys.get(hash);
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

  /** Sizes for logs and readiness. */
  counts(): { orgs: number; keys: number; credentials: number } {
    return { orgs: this.orgs.size, keys: this.keys.size, credentials: this.credentials.size };
  }
}
