import { Entity, Enum, ManyToOne, Unique, type Ref } from '@mikro-orm/core';
import type { Role } from '../auth/roles.js';
import { OrgScopedEntity } from '../db/base.entity.js';
import { User } from '../users/user.entity.js';

/** A person's role in one organization. */
@Entity({ tableName: 'memberships' })
@Unique({ properties: ['organization', 'user'] })
export class Membership extends OrgScopedEntity {
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  @Enum({ items: ['owner', 'admin', 'developer', 'approver', 'auditor'], type: 'string' })
  role!: Role;
}
