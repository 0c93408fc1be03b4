import { Entity, Property, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { BaseEntity } from '../db/base.entity.js';

/** A person. Not tenant-scoped: one person can belong to several organizations. */
@ObjectType({ description: 'A person who signs in to the console.' })
@Entity({ tableName: 'users' })
export class User extends BaseEntity {
  @Field(() => ID)
  override id!: string;

  @Field(() => Date)
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  /** Lower-cased on write. */
  @Field(() => String)
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 120 })
  name!: string;

  /** argon2id PHC string; null for people who only sign in with emailed codes. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash: string | null = null;
}
