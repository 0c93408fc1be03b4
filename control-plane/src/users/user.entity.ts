import { Entity, Property } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';

/** A person. Not tenant-scoped: one person can belong to several organizations. */
@Entity({ tableName: 'users' })
export class User extends BaseEntity {
  /** Lower-cased on write. */
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** argon2id PHC string; null for people who only sign in with emailed codes. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash: string | null = null;
}
