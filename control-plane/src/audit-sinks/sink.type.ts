import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import type { SinkFormat, SinkKind, SyslogTransport } from './sink-settings.js';

export const SinkKindEnum = { HTTPS: 'https', SPLUNK_HEC: 'splunk', OTLP: 'otlp', SYSLOG: 'syslog', S3: 's3' } as const satisfies Record<string, SinkKind>;
registerEnumType(SinkKindEnum, {
  name: 'AuditSinkKind',
  description:
    'HTTPS: signed NDJSON POSTs; SPLUNK_HEC: Splunk HTTP Event Collector; OTLP: OpenTelemetry logs over OTLP/HTTP; SYSLOG: RFC 5424 over TLS, TCP or UDP; S3: hourly gzip NDJSON objects in an S3-compatible bucket.',
});

export const SinkFormatEnum = { KEYWARD: 'keyward', OCSF: 'ocsf' } as const satisfies Record<string, SinkFormat>;
registerEnumType(SinkFormatEnum, {
  name: 'AuditSinkFormat',
  description: "KEYWARD: the audit-trail export's row lines; OCSF: API Activity (class 6003) events.",
});

export const SyslogTransportEnum = { TLS: 'tls', TCP: 'tcp', UDP: 'udp' } as const satisfies Record<string, SyslogTransport>;
registerEnumType(SyslogTransportEnum, { name: 'SyslogTransport' });

export const ChainEnum = { USAGE: 'usage', AUDIT: 'audit' } as const satisfies Record<string, ChainKindName>;
registerEnumType(ChainEnum, { name: 'AuditChainKind', description: 'USAGE: usage events; AUDIT: administrative changes.' });

@ObjectType('AuditSinkCursor', { description: 'How far a sink has delivered one chain, and how it is going.' })
export class AuditSinkCursorType {
  @Field(() => ChainEnum)
  chain!: ChainKindName;

  @Field(() => Float, { description: 'Every row of the chain up to this position was delivered (or dead-lettered).' })
  deliveredSeq!: number;

  @Field(() => Float, { description: "The chain's last position." })
  headSeq!: number;

  @Field(() => Float, { description: 'Rows stored but not delivered yet.' })
  lag!: number;

  @Field(() => Int, { description: 'Failed attempts of the next batch; 0 when the last attempt worked.' })
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  lastErrorAt!: Date | null;

  @Field(() => Date, { nullable: true })
  lastDeliveredAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the failing batch is tried again; null when nothing waits.' })
  nextAttemptAt!: Date | null;
}

@ObjectType('AuditSinkDeadLetter', { description: 'A batch the receiver refused for good; send it again or discard it.' })
export class AuditSinkDeadLetterType {
  @Field(() => ID)
  id!: string;

  @Field(() => ChainEnum)
  chain!: ChainKindName;

  @Field(() => Float)
  fromSeq!: number;

  @Field(() => Float)
  toSeq!: number;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String)
  error!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('AuditSink', { description: 'Where the audit chains are exported. Secrets are never returned.' })
export class AuditSinkType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => SinkKindEnum)
  kind!: SinkKind;

  @Field(() => SinkFormatEnum)
  format!: SinkFormat;

  @Field(() => [ChainEnum])
  chains!: ChainKindName[];

  @Field(() => Boolean)
  paused!: boolean;

  @Field(() => String, { nullable: true })
  url!: string | null;

  @Field(() => String, { nullable: true })
  index!: string | null;

  @Field(() => String, { nullable: true })
  sourcetype!: string | null;

  @Field(() => String, { nullable: true })
  host!: string | null;

  @Field(() => Int, { nullable: true })
  port!: number | null;

  @Field(() => SyslogTransportEnum, { nullable: true })
  transport!: SyslogTransport | null;

  @Field(() => String, { nullable: true })
  caCertificate!: string | null;

  @Field(() => String, { nullable: true })
  endpoint!: string | null;

  @Field(() => String, { nullable: true })
  bucket!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => String, { nullable: true })
  prefix!: string | null;

  @Field(() => String, { nullable: true })
  accessKeyId!: string | null;

  @Field(() => Boolean, { description: 'Whether a secret (signing secret, token or secret key) is stored; it is never shown.' })
  hasSecret!: boolean;

  @Field(() => [AuditSinkCursorType])
  cursors!: AuditSinkCursorType[];

  @Field(() => Float, { description: 'Rows not delivered yet, over every chain.' })
  lag!: number;

  @Field(() => String, { nullable: true, description: 'The error of the batch that is failing now, if one is.' })
  lastError!: string | null;

  @Field(() => [AuditSinkDeadLetterType], { description: 'Refused batches, newest first.' })
  deadLetters!: AuditSinkDeadLetterType[];

  @Field(() => String)
  createdBy!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('CreatedAuditSink', { description: 'A new sink, and for HTTPS its signing secret, shown this once.' })
export class CreatedAuditSink {
  @Field(() => AuditSinkType)
  sink!: AuditSinkType;

  @Field(() => String, { nullable: true, description: 'HTTPS: HMAC-SHA256 key of the x-keyward-signature header. Store it now: it is never shown again.' })
  signingSecret!: string | null;
}

@ObjectType('AuditSinkTestResult', { description: 'What happened to a test event.' })
export class AuditSinkTestResult {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it was not delivered.' })
  error!: string | null;
}
