import { Entity, ManyToOne, Property, type Ref, type Opt } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { User } from '../users/user.entity.js';

/** A one-time sign-in link token (the first-start owner link). Stored hashed, single use. */
@Entity({ tableName: 'sign_in_links' })
export class SignInLink extends BaseEntity {
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  consumedAt: Date | null = null;
}
