import { Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { EVENT_APIS, type ApprovalOutcomeMessage, type ApprovalSummary, type EventApi } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Key } from '../keys/key.entity.js';

/**
 * Where a held request stands. `pending` until a person decides (`approved`, `rejected`) or it
 * times out (`expired`); then what the node reports: `forwarded` (the call went upstream),
 * `refused` (it did not: rejected, blocked on timeout, or the agent hung up) or `node_lost`
 * (the node restarted while holding it).
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'forwarded' | 'refused' | 'node_lost';

/** Every status, for enums and validation. */
const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired', 'forwarded', 'refused', 'node_lost'];

/** What was decided; kept apart from `status` because the node's outcome later replaces the status. */
export type ApprovalDecision = 'approved' | 'rejected' | 'expired';

/**
 * A request a data-plane node holds until a person decides, stored from the node's
 * `ApprovalRequestMessage`. The id is the node's (UUID v7), so a retried POST finds the same
 * row. Rows are the queue: a restarted control plane finds pending ones here and its expiry
 * sweeper carries on.
 */
@Entity({ tableName: 'approval_requests' })
@Index({ properties: ['organization', 'createdAt'] })
@Index({ properties: ['status', 'expiresAt'] })
@Index({ properties: ['nodeTokenId', 'nodeId', 'outcome'] })
export class ApprovalRequest extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'status'
    | 'policyId'
    | 'policyVersion'
    | 'ruleId'
    | 'budgetId'
    | 'model'
    | 'decision'
    | 'decidedBy'
    | 'decisionReason'
    | 'decidedAt'
    | 'outcome'
    | 'outcomeAt';

  @ManyToOne({ entity: () => Key, ref: true, deleteRule: 'cascade' })
  key!: Ref<Key>;

  /** The node token the request came in with; decisions go back to streams of that token. */
  @Property({ type: 'uuid' })
  nodeTokenId!: string;

  /** The node's own name for itself (several nodes may share a token). */
  @Property({ type: 'string', length: 200 })
  nodeId!: string;

  @Property({ type: 'string', length: 200 })
  requestId!: string;

  @Enum({ items: ['request', 'response'], type: 'string' })
  phase!: 'request' | 'response';

  @Enum({ items: ['policy', 'budget', 'anomaly'], type: 'string' })
  reasonKind!: 'policy' | 'budget' | 'anomaly';

  @Property({ type: 'uuid', nullable: true })
  policyId: string | null = null;

  @Property({ type: 'integer', nullable: true })
  policyVersion: number | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  ruleId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  budgetId: string | null = null;

  @Enum({ items: [...EVENT_APIS], type: 'string' })
  api!: EventApi;

  @Property({ type: 'string', length: 200 })
  endpoint!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  model: string | null = null;

  /** Conversation and tool calls, with personal data already redacted by the node. */
  @Property({ type: 'json' })
  summary!: ApprovalSummary;

  /** After this the node applies `onTimeout`; the sweeper marks the row expired. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Enum({ items: ['allow', 'block'], type: 'string' })
  onTimeout!: 'allow' | 'block';

  @Enum({ items: APPROVAL_STATUSES as ApprovalStatus[], type: 'string', default: 'pending' })
  status: ApprovalStatus = 'pending';

  @Enum({ items: ['approved', 'rejected', 'expired'], type: 'string', nullable: true })
  decision: ApprovalDecision | null = null;

  /** `user:<id>`, `token:<id>` or `link:<channel>`; null until decided, and for expiries. */
  @Property({ type: 'string', length: 80, nullable: true })
  decidedBy: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  decisionReason: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  decidedAt: Date | null = null;

  /** What the node reported it did; null until it reports. */
  @Property({ type: 'string', length: 32, nullable: true })
  outcome: ApprovalOutcomeMessage['outcome'] | null = null;

  @Property({ type: 'datetime', nullable: true })
  outcomeAt: Date | null = null;
}
