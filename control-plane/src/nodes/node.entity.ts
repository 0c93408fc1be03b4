import type { ReportedCircuit } from '@keyward/shared';
import { Entity, Filter, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity, TENANT_FILTER } from '../db/base.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { NodeToken } from './node-token.entity.js';

const NO_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * A running data-plane node as last reported by its heartbeat or config stream. `nodeId` is the
 * node's own name for itself; it is unique per token, so a node of one organization cannot
 * overwrite the row of another's node by claiming its id. The organization is copied from the
 * token (null for nodes on a global token), and the same tenant filter as tokens applies.
 */
@Entity({ tableName: 'nodes' })
@Unique({ properties: ['token', 'nodeId'] })
@Filter({
  name: TENANT_FILTER,
  default: true,
  cond: (args: { orgId?: string }) => ({ $or: [{ organization: args.orgId ?? NO_ORG }, { organization: null }] }),
})
export class DataPlaneNode extends BaseEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?:
    'createdAt' | 'updatedAt' | 'organization' | 'hostname' | 'softwareVersion' | 'configVersion' | 'eventBacklog' | 'openCircuits' | 'lastSeenAt';

  @ManyToOne({ entity: () => NodeToken, ref: true, deleteRule: 'cascade' })
  token!: Ref<NodeToken>;

  @ManyToOne({ entity: () => Organization, ref: true, nullable: true, deleteRule: 'cascade' })
  organization: Ref<Organization> | null = null;

  @Property({ type: 'string', length: 128 })
  nodeId!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  hostname: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  softwareVersion: string | null = null;

  /** The config version the node last reported applying. */
  @Property({ type: 'integer', default: 0 })
  configVersion = 0;

  /** Events waiting in the node's spool at its last heartbeat. */
  @Property({ type: 'integer', default: 0 })
  eventBacklog = 0;

  /** Route targets whose circuit was not closed on the node at its last heartbeat. */
  @Property({ type: 'json', defaultRaw: `'[]'` })
  openCircuits: ReportedCircuit[] = [];

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  lastSeenAt: Date = new Date();
}
