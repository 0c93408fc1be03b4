import { Entity, Index, Property, type Opt } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';

/** A six-digit code emailed to a person; single use, short-lived, with a guess budget. */
@Entity({ tableName: 'sign_in_codes' })
@Index({ properties: ['email', 'createdAt'] })
export class SignInCode extends BaseEntity {
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  /** Lower-cased email the code was sent to. */
  @Property({ type: 'string', length: 254 })
  email!: string;

  /** `hashSecret(email + ':' + code, keyPepper)`: binding the email stops a code being tried against other accounts. */
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
