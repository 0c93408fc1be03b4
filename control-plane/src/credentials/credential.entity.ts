import { Entity, Enum, OptionalProps, Property, Unique } from '@mikro-orm/core';
import type { ProviderKind } from '@keyward/shared';
import { RotatableSecretEntity } from '../db/sealed-secret.entity.js';

/**
 * A provider API key of one organization, envelope-encrypted: the columns below are the
 * `SealedSecret` fields, sealed with `orgId:credentialId` as associated data, so a ciphertext
 * copied to another row or organization does not open. The plaintext is never stored and never
 * returned; only its last four characters are kept for recognition.
 */
@Entity({ tableName: 'credentials' })
@Unique({ properties: ['organization', 'name'] })
export class Credential extends RotatableSecretEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'baseUrl' | 'models' | 'secretVersion' | 'rotatedAt';

  @Enum({ items: ['openai', 'anthropic', 'gemini', 'openai_compatible'], type: 'string' })
  provider!: ProviderKind;

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** Custom base URL (required for openai_compatible); null means the provider's default. */
  @Property({ type: 'text', nullable: true })
  baseUrl: string | null = null;

  /** Model globs this credential serves; empty means every model of its provider. */
  @Property({ type: 'json' })
  models: string[] = [];
}

/** The associated data a credential's secret is sealed with: it binds the ciphertext to its row. */
export function credentialAad(orgId: string, credentialId: string): string {
  return `${orgId}:${credentialId}`;
}
