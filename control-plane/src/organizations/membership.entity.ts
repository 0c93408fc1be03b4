import { Entity, Enum, ManyToOne, Unique, type Ref, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { OrgScopedEntity } from '../db/base.entity.js';
import { User } from '../users/user.entity.js';
import { RoleEnum } from './enums.js';

/** A person's role in one organization. Exposed in GraphQL as `Member` (the user is a field resolver). */
@ObjectType('Member', { description: "A person's membership of the current organization." })
@Entity({ tableName: 'memberships' })
@Unique({ properties: ['organization', 'user'] })
export class Membership extends OrgScopedEntity {
  @Field(() => ID, { description: 'The membership id (use it to change the role or remove the member).' })
  override id!: string;

  @Field(() => Date, { description: 'When the person joined.' })
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  @Field(() => RoleEnum)
  @Enum({ items: ['owner', 'admin', 'developer', 'approver', 'auditor'], type: 'string' })
  role!: Role;
}
