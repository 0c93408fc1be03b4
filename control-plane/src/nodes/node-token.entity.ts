import { Entity, Enum, Filter, ManyToOne, OptionalProps, Property, type Ref } from '@mikro-orm/core';
import { BaseEntity, TENANT_FILTER } from '../db/base.entity.js';
import { Organization } from '../organizations/organization.entity.js';

/** Where a node token came from: the operator's environment (`KEYWARD_NODE_TOKEN`) or the API. */
export type NodeTokenSource = 'environment' | 'api';

/** Matches no row: an entity manager without an organization sees only global tokens. */
const NO_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * A credential a data-plane node authenticates with. Global tokens (no organization) come only
 * from the operator's environment and let a node serve every organization; tokens created
 * through the API belong to the creating organization and serve only it, so an organization
 * admin can never obtain another tenant's config or write its events.
 *
 * Not an `OrgScopedEntity` because global tokens have no organization; its own tenant filter
 * shows an organization its own tokens plus the global ones (which also serve it).
 */
@Entity({ tableName: 'node_tokens' })
@Filter({
  name: TENANT_FILTER,
  default: true,
  cond: (args: { orgId?: string }) => ({ $or: [{ organization: args.orgId ?? NO_ORG }, { organization: null }] }),
})
export class NodeToken extends BaseEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'organization' | 'createdBy' | 'lastUsedAt' | 'revokedAt';

  /** Null for a global token. */
  @ManyToOne({ entity: () => Organization, ref: true, nullable: true, deleteRule: 'cascade' })
  organization: Ref<Organization> | null = null;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  tokenHash!: string;

  @Enum({ items: ['environment', 'api'], type: 'string' })
  source!: NodeTokenSource;

  /** `user:<id>` or `token:<id>` of whoever created it; null for the environment token. */
  @Property({ type: 'string', length: 80, nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
