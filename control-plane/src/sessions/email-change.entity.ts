import { Entity, Index, ManyToOne, Property, type Ref } from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { EmailedCode } from './emailed-code.entity.js';

/**
 * A pending change of a person's email: a six-digit code sent to the new address, which the
 * person types back while signed in. Single use, short-lived, with a guess budget. The hash
 * binds the person and the new address (`email-change:<user id>:<new email>:<code>`).
 */
@Entity({ tableName: 'email_changes' })
@Index({ properties: ['user', 'createdAt'] })
export class EmailChange extends EmailedCode {
  @ManyToOne({ entity: () => User, ref: true, deleteRule: 'cascade' })
  user!: Ref<User>;

  /** Lower-cased address the code went to. */
  @Property({ type: 'string', length: 254 })
  newEmail!: string;
}
