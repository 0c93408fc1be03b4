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

/**
 * A sealed secret people replace from time to time (a provider credential, an MCP server's
 * credential): its last four characters to recognize it, and a version nodes key their cached
 * plaintext by, so a replacement is picked up at once.
 */
export abstract class RotatableSecretEntity extends SealedSecretEntity {
  @Property({ type: 'string', length: 4 })
  lastFour!: string;

  /** Bumped on every rotation so nodes drop cached plaintext. */
  @Property({ type: 'integer', default: 1 })
  secretVersion = 1;

  @Property({ type: 'datetime', nullable: true })
  rotatedAt: Date | null = null;

  /** Stores a new secret: sealed fields, last four characters, next version. */
  rotateTo(sealed: SealedSecret, plaintext: string): void {
    this.setSealed(sealed);
    this.lastFour = plaintext.slice(-4);
    this.secretVersion += 1;
    this.rotatedAt = new Date();
  }
}
