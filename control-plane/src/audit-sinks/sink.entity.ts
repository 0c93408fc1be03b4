import { BigIntType, Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import { OrgScopedEntity } from '../db/base.entity.js';
import { SealedSecretEntity } from '../db/sealed-secret.entity.js';
import type { SinkFormat, SinkKind, SinkSettings } from './sink-settings.js';

/**
 * Where an organization's audit trail is exported: an HTTPS NDJSON webhook, a Splunk HTTP Event
 * Collector, a syslog server, an OTLP/HTTP logs endpoint or an S3-compatible bucket. The
 * settings that are not secret are stored as given (`settings`); the one secret of the kind (a
 * signing secret, HEC token, OTLP token or S3 secret key; empty when the kind has none) is
 * sealed with the KMS, `orgId:audit-sink:id` as associated data, and never shown again.
 */
@Entity({ tableName: 'audit_sinks' })
@Index({ properties: ['organization', 'createdAt'] })
export class AuditSink extends SealedSecretEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'paused';

  @Property({ type: 'string', length: 80 })
  name!: string;

  @Enum({ items: ['https', 'splunk', 'otlp', 'syslog', 's3'], type: 'string' })
  kind!: SinkKind;

  @Enum({ items: ['keyward', 'ocsf'], type: 'string' })
  format!: SinkFormat;

  /** Which chains are exported: `usage`, `audit` or both. */
  @Property({ type: 'json' })
  chains!: ChainKindName[];

  /** The kind's settings that are not secret (URL, host, bucket…). */
  @Property({ type: 'json' })
  settings!: SinkSettings;

  /** A paused sink keeps its cursors; nothing is sent until it is resumed. */
  @Property({ type: 'boolean', default: false })
  paused: boolean = false;

  @Property({ type: 'string', length: 80 })
  createdBy!: string;
}

/**
 * How far one sink has delivered one chain: every link with `seq <= deliveredSeq` was accepted
 * by the receiver (or dead-lettered). Failed batches leave it in place and wait `nextAttemptAt`;
 * `leaseUntil` keeps two control planes from sending the same batch at once.
 */
@Entity({ tableName: 'audit_sink_cursors' })
export class AuditSinkCursor {
  [OptionalProps]?: 'attempts' | 'lastError' | 'lastErrorAt' | 'lastDeliveredAt' | 'nextAttemptAt' | 'leaseUntil' | 'updatedAt';

  @ManyToOne({ entity: () => AuditSink, ref: true, primary: true, deleteRule: 'cascade' })
  sink!: Ref<AuditSink>;

  @PrimaryKey({ type: 'text' })
  chain!: ChainKindName;

  @Property({ type: new BigIntType('number') })
  deliveredSeq!: number;

  /** Failed attempts of the batch after `deliveredSeq`; 0 when the last attempt worked. */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'string', length: 300, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastErrorAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastDeliveredAt: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  leaseUntil: Date | null = null;

  @Property({ type: 'datetime', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * A batch the receiver refused for good (`MAX_REFUSALS` answers that retrying cannot change,
 * such as HTTP 400): the links `fromSeq`..`toSeq` of one chain. The cursor moves past it so
 * later rows flow; the console lists it to send again or discard.
 */
@Entity({ tableName: 'audit_sink_dead_letters' })
@Index({ properties: ['sink', 'createdAt'] })
export class AuditSinkDeadLetter extends OrgScopedEntity {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @ManyToOne({ entity: () => AuditSink, ref: true, deleteRule: 'cascade' })
  sink!: Ref<AuditSink>;

  @Property({ type: 'text' })
  chain!: ChainKindName;

  @Property({ type: new BigIntType('number') })
  fromSeq!: number;

  @Property({ type: new BigIntType('number') })
  toSeq!: number;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'string', length: 300 })
  error!: string;
}

/** Associated data a sink's secret is sealed with, so a ciphertext copied to another row does not open. */
export function sinkAad(orgId: string, sinkId: string): string {
  return `${orgId}:audit-sink:${sinkId}`;
}
