import { Entity, Enum, Index, ManyToOne, Property, type Ref, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { OrgScopedEntity } from '../db/base.entity.js';
import { RoleEnum } from '../organizations/enums.js';
import { User } from '../users/user.entity.js';

/** An emailed offer to join an organization with a role. The link token is stored hashed and works once. */
@ObjectType({ description: 'An emailed offer to join the organization.' })
@Entity({ tableName: 'invitations' })
@Index({ properties: ['organization', 'email'] })
export class Invitation extends OrgScopedEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Field(() => String)
  @Property({ type: 'string', length: 254 })
  email!: string;

  @Field(() => RoleEnum)
  @Enum({ items: ['owner', 'admin', 'developer', 'approver', 'auditor'], type: 'string' })
  role!: Role;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  invitedBy!: Ref<User>;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  acceptedAt: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
