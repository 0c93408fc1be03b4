import { Property } from '@mikro-orm/core';
import type { SealedSecret } from '@keyward/shared';
import { OrgScopedEntity } from './base.entity.js';

/**
 * An organization's object that keeps one envelope-encrypted secret in its own row (a provider
 * credential, a webhook's signing secret, a Slack URL). The columns are hidden from
 * serialization; callers open the secret with `openSecret(kms, entity.sealed(), aad)`.
 */
export abstract class SealedSecretEntity extends OrgScopedEntity {
  @Property({ type: 'string', length: 300, hidden: true })
  kekId!: string;

  @Property({ type: 'text', hidden: true })
  wrappedKey!: string;

  @Property({ type: 'string', length: 32, hidden: true })
  iv!: string;

  @Property({ type: 'text', hidden: true })
  ciphertext!: string;

  @Property({ type: 'string', length: 32, hidden: true })
  tag!: string;

  /** The sealed secret as the wire and `openSecret` expect it. */
  sealed(): SealedSecret {
    return { kekId: this.kekId, wrappedKey: this.wrappedKey, iv: this.iv, ciphertext: this.ciphertext, tag: this.tag };
  }

  /** Stores a sealed secret's fields. */
  setSealed(sealed: SealedSecret): void {
    this.kekId = sealed.kekId;
    this.wrappedKey = sealed.wrappedKey;
    this.iv = sealed.iv;
    this.ciphertext = sealed.ciphertext;
    this.tag = sealed.tag;
  }
}
