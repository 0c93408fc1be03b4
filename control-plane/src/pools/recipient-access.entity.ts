import { Entity, Index, Property, type Opt } from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { EmailedCode } from '../sessions/emailed-code.entity.js';

/**
 * A six-digit code emailed to a pool recipient for their own page. Recipients have no account,
 * so the code is bound to the email (`recipient:email:code`) and to nothing else.
 */
@Entity({ tableName: 'recipient_codes' })
@Index({ properties: ['email', 'createdAt'] })
export class RecipientCode extends EmailedCode {
  @Property({ type: 'string', length: 254 })
  email!: string;
}

/** A signed-in recipient's page session: the cookie's keyed hash, for one email, across every pool that gave it a key. */
@Entity({ tableName: 'recipient_sessions' })
export class RecipientSession extends BaseEntity {
  override createdAt!: Opt<Date>;

  override updatedAt!: Opt<Date>;

  @Property({ type: 'string', length: 254 })
  email!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
