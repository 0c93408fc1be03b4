import { BigIntType, Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import type { AnomalyResponse, McpAccess } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Team } from '../teams/team.entity.js';

/** Whether a key was revoked. Expiry is a time, not a status: it is derived from `expiresAt`. */
export type KeyRecordStatus = 'active' | 'revoked';

/**
 * A Keyward key: what an agent sends instead of a provider key. Only the keyed hash of its
 * current secret is stored (rotated-out secrets still within their grace period live in
 * `key_secrets`). Usage totals are maintained by event ingestion, counting each event once.
 */
@Entity({ tableName: 'keys' })
@Index({ properties: ['organization', 'createdAt'] })
export class Key extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'team'
    | 'status'
    | 'expiresAt'
    | 'revokedAt'
    | 'rotatedAt'
    | 'allowedModels'
    | 'cacheTtlSeconds'
    | 'requireProvenance'
    | 'credentialIds'
    | 'labels'
    | 'mcpAccess'
    | 'lastUsedAt'
    | 'requestCount'
    | 'inputTokens'
    | 'outputTokens'
    | 'cachedInputTokens'
    | 'costMicros'
    | 'anomalyResponse'
    | 'frozenAt'
    | 'frozenReason'
    | 'heldAt'
    | 'heldReason'
    | 'releasedAt'
    | 'anomalyNotifiedAt';

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** The person or agent the key was issued to (free text: agents are not accounts). */
  @Property({ type: 'string', length: 200 })
  ownerLabel!: string;

  @ManyToOne({ entity: () => Team, ref: true, nullable: true, deleteRule: 'set null' })
  team: Ref<Team> | null = null;

  /** `displayPrefix(secret)` of the current secret. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  /** `hashSecret(secret, keyPepper)` of the current secret. Never leaves the server except in node config. */
  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  secretHash!: string;

  @Enum({ items: ['active', 'revoked'], type: 'string', default: 'active' })
  status: KeyRecordStatus = 'active';

  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  /** When the current secret replaced an older one. */
  @Property({ type: 'datetime', nullable: true })
  rotatedAt: Date | null = null;

  /** The key's response cache TTL (`cache { ttlSeconds }`); null: the key sets none (its route's applies, if any). */
  @Property({ type: 'integer', nullable: true })
  cacheTtlSeconds: number | null = null;

  /** Whether every request of the key must carry a valid HDP delegation token (`X-HDP-Token`). */
  @Property({ type: 'boolean', default: false })
  requireProvenance: boolean = false;

  /** Model globs the key may use; empty means any model the key's credentials serve. */
  @Property({ type: 'json' })
  allowedModels: string[] = [];

  /**
   * Credential ids the key routes to, in order of preference; empty means any of the org's.
   * Kept as a list rather than a join table so the order is data; the config compiler checks
   * every id before anything is published.
   */
  @Property({ type: 'json' })
  credentialIds: string[] = [];

  @Property({ type: 'json' })
  labels: Record<string, string> = {};

  /** The MCP servers and tools the key may call (`[{ server, tools: ['*'] | names }]`); empty: none. */
  @Property({ type: 'json' })
  mcpAccess: McpAccess[] = [];

  /** Start time of the newest request seen in usage events. */
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: new BigIntType('number'), default: 0 })
  requestCount = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  inputTokens = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  outputTokens = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  cachedInputTokens = 0;

  /** Integer micro-dollars. */
  @Property({ type: new BigIntType('number'), default: 0 })
  costMicros = 0;

  // Anomaly actions (`anomaly/`).

  /** What an anomalous request of the key sets off; null: its team's, else its organization's choice. */
  @Property({ type: 'json', nullable: true })
  anomalyResponse: AnomalyResponse | null = null;

  /** Set while the key is frozen after an anomaly: nodes refuse it until a person unfreezes it. */
  @Property({ type: 'datetime', nullable: true })
  frozenAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  frozenReason: string | null = null;

  /** Set while the key's requests are held for approval after an anomaly, until a person releases it. */
  @Property({ type: 'datetime', nullable: true })
  heldAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  heldReason: string | null = null;

  /** When a person last unfroze the key or ended its hold. */
  @Property({ type: 'datetime', nullable: true })
  releasedAt: Date | null = null;

  /** When people were last notified of the key's anomalies (at most once in fifteen minutes). */
  @Property({ type: 'datetime', nullable: true })
  anomalyNotifiedAt: Date | null = null;
}
