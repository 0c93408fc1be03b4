import { Entity, Enum, OptionalProps, Property } from '@mikro-orm/core';
import { OrgScopedEntity } from '../db/base.entity.js';

/** A real sign-in, or an administrator's test that shows what the provider sent and signs nobody in. */
export type SsoPurpose = 'sign_in' | 'test';

/**
 * A sign-in sent to the identity provider and not yet back: single use, ten minutes. Only the
 * keyed hash of its `state` is stored; the PKCE verifier and the nonce are derived from the
 * state with a server key, so nothing here lets anyone finish the sign-in.
 */
@Entity({ tableName: 'sso_sign_in_attempts' })
export class SsoSignInAttempt extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'consumedAt';

  @Property({ type: 'string', length: 64, unique: true })
  stateHash!: string;

  @Enum({ items: ['sign_in', 'test'], type: 'string' })
  purpose!: SsoPurpose;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  consumedAt: Date | null = null;
}
