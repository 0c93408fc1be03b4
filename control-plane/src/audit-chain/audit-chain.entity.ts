import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity, OrgScopedEntity } from '../db/base.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import type { ChainKindName, LinkFormat } from './chain-kinds.js';

/**
 * One row's place in its organization's chain of `kind`: `hash = sha256(prevHash ‖ canonical
 * row)`, the row being the usage event or audit entry `rowId`. Links live beside the rows, not
 * in them: storing a row stays one insert (no second write of a wide row and its indexes), the
 * rows' tables keep their columns, and a row deleted behind the chain's back leaves its link.
 */
@Entity({ tableName: 'audit_chain_links' })
@Index({ properties: ['rowId'] })
export class AuditChainLink {
  /**
   * No foreign key: checking one per link was a third of the links' cost at ingestion. Links are
   * written only under the organization's head row, which has one, and a trigger on
   * `organizations` deletes (or moves) them with their organization.
   */
  @ManyToOne({ entity: () => Organization, ref: true, primary: true, createForeignKeyConstraint: false })
  organization!: Ref<Organization>;

  @PrimaryKey({ type: 'text' })
  kind!: ChainKindName;

  @PrimaryKey({ type: new BigIntType('number'), autoincrement: false })
  seq!: number;

  @Property({ type: 'uuid' })
  rowId!: string;

  @Property({ type: 'text' })
  prevHash!: string;

  @Property({ type: 'text' })
  hash!: string;

  /** Which canonical row `hash` covers (`LinkFormat` in `chain-kinds.ts`). */
  @Property({ type: 'smallint' })
  format!: LinkFormat;

  /** Format 2: SHA-256 of the row's content fields, which the canonical row holds instead of them. */
  @Property({ type: 'text', nullable: true })
  contentDigest!: string | null;
}

/**
 * The last link of one organization's chain of one kind: its sequence number and hash. The row
 * is locked by every transaction that appends to the chain (`chain-append.ts`), which is what
 * makes the order of a chain the order of commits.
 */
@Entity({ tableName: 'audit_chain_heads' })
@Unique({ properties: ['organization', 'kind'] })
export class AuditChainHead extends OrgScopedEntity {
  @Property({ type: 'text' })
  kind!: ChainKindName;

  @Property({ type: new BigIntType('number') })
  seq!: number;

  @Property({ type: 'text' })
  hash!: string;
}

/**
 * A signed statement that an organization's chain of one kind had reached `seq` with `hash` at
 * `signedAt`. Kept when retention deletes the rows it covers, so the rest of the chain still
 * verifies from it.
 */
@Entity({ tableName: 'audit_checkpoints' })
@Unique({ properties: ['organization', 'kind', 'seq'] })
export class AuditCheckpoint extends OrgScopedEntity {
  @Property({ type: 'text' })
  kind!: ChainKindName;

  @Property({ type: new BigIntType('number') })
  seq!: number;

  @Property({ type: 'text' })
  hash!: string;

  @Property({ type: 'datetime' })
  signedAt!: Date;

  /** `keyId` of the `AuditSigningKey` that signed it. */
  @Property({ type: 'text' })
  keyId!: string;

  /** Ed25519 signature of `checkpointMessage(…)`, base64. */
  @Property({ type: 'text' })
  signature!: string;
}

/**
 * The installation's Ed25519 key for checkpoints. The public key is published; the private key
 * (PKCS#8 PEM) is envelope-encrypted under the KMS exactly like a provider credential, with
 * `audit-signing-key:<keyId>` as associated data, and never leaves the process that opens it.
 * A key imported with an organization archive has no private half (the sealed columns are null):
 * it is published and verifies that organization's checkpoints, and never signs.
 */
@Entity({ tableName: 'audit_signing_keys' })
export class AuditSigningKey extends BaseEntity {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  @Property({ type: 'text', unique: true })
  keyId!: string;

  /** SPKI DER, base64. */
  @Property({ type: 'text' })
  publicKey!: string;

  @Property({ type: 'string', length: 300, hidden: true, nullable: true })
  kekId: string | null = null;

  @Property({ type: 'text', hidden: true, nullable: true })
  wrappedKey: string | null = null;

  @Property({ type: 'string', length: 32, hidden: true, nullable: true })
  iv: string | null = null;

  @Property({ type: 'text', hidden: true, nullable: true })
  ciphertext: string | null = null;

  @Property({ type: 'string', length: 32, hidden: true, nullable: true })
  tag: string | null = null;
}
