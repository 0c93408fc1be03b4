import { openSecret, type CredentialConfig, type Kms } from '@keyward/shared';
import { fleetNow } from '../clock/fleet-clock.js';

/** Anything sealed like a provider credential, with `orgId:id` as associated data: provider credentials and MCP servers. */
export type SealedEntry = Pick<CredentialConfig, 'id' | 'orgId' | 'secret' | 'secretVersion'>;

interface Entry {
  readonly value: Promise<string>;
  readonly expiresAt: number;
}

/**
 * Provider credentials (and MCP servers' secrets) unwrapped through the KMS, held in memory only and only for `ttlMs`.
 * Entries are keyed by credential id and secret version, so a rotation is picked up at once;
 * concurrent requests for the same credential share one unwrap; a failed unwrap is not cached.
 */
export class CredentialSecrets {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly kms: Kms,
    private readonly ttlMs: number,
    private readonly now: () => number = fleetNow,
  ) {}

  /** The plaintext credential; the associated data binds it to its organization and id. */
  get(credential: SealedEntry): Promise<string> {
    const cacheKey = `${credential.id}:${credential.secretVersion}`;
    const now = this.now();
    const cached = this.entries.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.value;
    this.prune(now);
    const value = openSecret(this.kms, credential.secret, `${credential.orgId}:${credential.id}`);
    if (this.ttlMs > 0) this.entries.set(cacheKey, { value, expiresAt: now + this.ttlMs });
    value.catch(() => this.entries.delete(cacheKey));
    return value;
  }

  /** Drops expired entries. */
  prune(now = this.now()): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  /** Forgets every plaintext (config change that removed credentials, shutdown). */
  clear(): void {
    this.entries.clear();
  }

  /** Entries currently held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}
