import { Entity, Enum, ManyToOne, Property, type Ref, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { OrgScopedEntity } from '../db/base.entity.js';
import { RoleEnum } from '../organizations/enums.js';
import { User } from '../users/user.entity.js';

/** A bearer token for automation. The secret is shown once; only its keyed hash is stored. */
@ObjectType({ description: 'A bearer token for automation. The secret is only ever shown in the answer to createApiToken.' })
@Entity({ tableName: 'api_tokens' })
export class ApiToken extends OrgScopedEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Field(() => String)
  @Property({ type: 'string', length: 120 })
  name!: string;

  /** `displayPrefix(secret)`: tells tokens apart, useless for guessing. */
  @Field(() => String, { description: 'The first characters of the secret, to tell tokens apart.' })
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  /** `hashSecret(secret, keyPepper)`. */
  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Field(() => RoleEnum)
  @Enum({ items: ['owner', 'admin', 'developer', 'approver', 'auditor'], type: 'string' })
  role!: Role;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  createdBy!: Ref<User>;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
