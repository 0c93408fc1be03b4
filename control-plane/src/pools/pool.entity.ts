import { BigIntType, Entity, Enum, Index, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import type { BudgetPeriod } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from '../keys/key.entity.js';

/** Whether a pool's keys work: a paused pool stops them until it is resumed. Expiry is a time (`expiresAt`). */
export type PoolRecordStatus = 'active' | 'paused';

/**
 * A key pool: limited, expiring keys handed to people by email. It holds what each recipient's
 * key gets (credentials, models, labels) and the default limits written onto each recipient's
 * own budget and rate limit; the pool-wide cap is a budget whose scope is the pool.
 */
@Entity({ tableName: 'key_pools' })
@Index({ properties: ['organization', 'createdAt'] })
export class KeyPool extends OrgScopedEntity {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'note'
    | 'credentialIds'
    | 'allowedModels'
    | 'labels'
    | 'budgetPeriod'
    | 'budgetMicros'
    | 'requestsPerMinute'
    | 'tokensPerMinute'
    | 'concurrentRequests'
    | 'keyExpiresAt'
    | 'keyLifetimeDays'
    | 'capBudgetId'
    | 'routeId'
    | 'status'
    | 'expiresAt';

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** Shown to recipients on the reveal page and their own page. */
  @Property({ type: 'string', length: 2000, nullable: true })
  note: string | null = null;

  @Property({ type: 'json' })
  credentialIds: string[] = [];

  @Property({ type: 'json' })
  allowedModels: string[] = [];

  @Property({ type: 'json' })
  labels: Record<string, string> = {};

  /** The period of each recipient's default budget. */
  @Property({ type: 'string', length: 16 })
  budgetPeriod: BudgetPeriod = 'month';

  /** Each recipient's default budget in micro-dollars; null: none. */
  @Property({ type: new BigIntType('number'), nullable: true })
  budgetMicros: number | null = null;

  @Property({ type: 'integer', nullable: true })
  requestsPerMinute: number | null = null;

  @Property({ type: 'integer', nullable: true })
  tokensPerMinute: number | null = null;

  @Property({ type: 'integer', nullable: true })
  concurrentRequests: number | null = null;

  /** Every recipient's key expires then (unless overridden). */
  @Property({ type: 'datetime', nullable: true })
  keyExpiresAt: Date | null = null;

  /** Or each recipient's key expires this many days after it was added. */
  @Property({ type: 'integer', nullable: true })
  keyLifetimeDays: number | null = null;

  /** The pool-wide budget (scope `pool`), when the pool has a cap. */
  @Property({ type: 'uuid', nullable: true })
  capBudgetId: string | null = null;

  /** The route every key of the pool takes (bound to each key), instead of `credentialIds`; null: none. */
  @Property({ type: 'uuid', nullable: true })
  routeId: string | null = null;

  @Enum({ items: ['active', 'paused'], type: 'string', default: 'active' })
  status: PoolRecordStatus = 'active';

  /** When every key of the pool stops working; null: never. */
  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;
}

/**
 * A person a pool gives a key to. The key is an ordinary key (its limits are a budget and a
 * rate limit scoped to it); its secret is made when the recipient opens the delivery link,
 * whose token is stored only as a keyed hash.
 */
@Entity({ tableName: 'pool_recipients' })
@Unique({ properties: ['pool', 'email'] })
@Index({ properties: ['organization', 'email'] })
@Index({ properties: ['key'] })
export class PoolRecipient extends OrgScopedEntity {
  [OptionalProps]?:
    'createdAt' | 'updatedAt' | 'name' | 'budgetId' | 'rateLimitId' | 'pausedAt' | 'linkHash' | 'linkExpiresAt' | 'linkSentAt' | 'linkUsedAt' | 'revealedAt';

  @ManyToOne({ entity: () => KeyPool, ref: true, deleteRule: 'cascade' })
  pool!: Ref<KeyPool>;

  /** Normalized (trimmed, lower-case). */
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Property({ type: 'string', length: 200 })
  name: string = '';

  @ManyToOne({ entity: () => Key, ref: true, deleteRule: 'cascade' })
  key!: Ref<Key>;

  /** The recipient's own budget (scope: the key), when a budget applies. */
  @Property({ type: 'uuid', nullable: true })
  budgetId: string | null = null;

  /** The recipient's own rate limit (scope: the key), when one applies. */
  @Property({ type: 'uuid', nullable: true })
  rateLimitId: string | null = null;

  /** Set while the owner has paused this recipient's key. */
  @Property({ type: 'datetime', nullable: true })
  pausedAt: Date | null = null;

  /** Keyed hash of the current delivery link's token (kept after use, so a second visit is told so); null before the first. */
  @Property({ type: 'string', length: 64, nullable: true, unique: true, hidden: true })
  linkHash: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  linkExpiresAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  linkSentAt: Date | null = null;

  /** When the current link was opened; it works once. */
  @Property({ type: 'datetime', nullable: true })
  linkUsedAt: Date | null = null;

  /** When the recipient last opened a delivery link and saw the key. */
  @Property({ type: 'datetime', nullable: true })
  revealedAt: Date | null = null;
}
