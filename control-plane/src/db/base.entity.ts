import { Filter, ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { Organization } from '../organizations/organization.entity.js';

/** Name of the filter that keeps every query inside the caller's organization. */
export const TENANT_FILTER = 'tenant';

/** Id and timestamps every table has. */
export abstract class BaseEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date(), defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}

/**
 * Anything that belongs to one organization. The tenant filter is on by default: every
 * `find`, `count` and native update/delete through a request's entity manager is limited to
 * the caller's organization, so a resolver cannot forget the scope. Code that must cross
 * organizations (config publishing, event ingestion from nodes) disables it explicitly with
 * `{ filters: { tenant: false } }`.
 */
@Filter({
  name: TENANT_FILTER,
  default: true,
  cond: (args: { orgId?: string }) => {
    // A request with no organization sees nothing rather than everything.
    return { organization: args.orgId ?? '00000000-0000-0000-0000-000000000000' };
  },
})
export abstract class OrgScopedEntity extends BaseEntity {
  @ManyToOne({ entity: 'Organization', ref: true, deleteRule: 'cascade' })
  organization!: Ref<Organization>;
}
