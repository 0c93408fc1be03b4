import { Property, type Opt } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';

/**
 * What every emailed six-digit code keeps (sign-in codes, email-change codes): only a keyed
 * hash of the code, its expiry, the wrong guesses so far and when it was used.
 */
export abstract class EmailedCode extends BaseEntity {
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  /** `hashSecret(<what the code is bound to> + code, keyPepper)`: a code only works for what it was sent for. */
  @Property({ type: 'string', length: 64 })
  codeHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Wrong guesses so far; the code stops working at the limit. */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'datetime', nullable: true })
  consumedAt: Date | null = null;
}
