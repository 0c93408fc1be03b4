import { Entity, Index, Property } from '@mikro-orm/core';
import { EmailedCode } from './emailed-code.entity.js';

/** A six-digit code emailed to a person; single use, short-lived, with a guess budget. The hash binds the email (`email:code`), so a code cannot be tried against other accounts. */
@Entity({ tableName: 'sign_in_codes' })
@Index({ properties: ['email', 'createdAt'] })
export class SignInCode extends EmailedCode {
  /** Lower-cased email the code was sent to. */
  @Property({ type: 'string', length: 254 })
  email!: string;
}
