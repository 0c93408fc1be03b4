import { ArrayMaxSize, ArrayMinSize, IsOptional, Length } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import type { ChainKindName } from '../audit-chain/chain-kinds.js';
import type { SinkFormat, SinkKind, SyslogTransport } from './sink-settings.js';
import { ChainEnum, SinkFormatEnum, SinkKindEnum, SyslogTransportEnum } from './sink.type.js';

/** The fields each kind reads; the others must be left out. Secrets (`token`, `secretAccessKey`) are write-only. */
@InputType('AuditSinkFieldsInput', { description: 'Fields of every kind of sink; each kind reads its own.' })
abstract class SinkFieldsInput {
  @Field(() => String, {
    nullable: true,
    description: 'HTTPS, SPLUNK_HEC, OTLP: https URL (Splunk: the collector base URL; OTLP: the logs URL, e.g. …/v1/logs).',
  })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'SPLUNK_HEC: the HEC token (required); OTLP: sent as `Authorization: Bearer` (optional). Write-only.' })
  token?: string | null;

  @Field(() => String, { nullable: true, description: 'SPLUNK_HEC: index (optional).' })
  index?: string | null;

  @Field(() => String, { nullable: true, description: 'SPLUNK_HEC: sourcetype (default keyward:audit, or ocsf:api_activity for OCSF).' })
  sourcetype?: string | null;

  @Field(() => String, { nullable: true, description: 'SYSLOG: host name or address.' })
  host?: string | null;

  @Field(() => Int, { nullable: true, description: 'SYSLOG: port (default 6514 for TLS, 514 otherwise).' })
  port?: number | null;

  @Field(() => SyslogTransportEnum, { nullable: true, description: 'SYSLOG: TLS (default), TCP or UDP.' })
  transport?: SyslogTransport | null;

  @Field(() => String, { nullable: true, description: "SYSLOG over TLS: PEM certificate of a private CA to trust besides the system's." })
  caCertificate?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: endpoint of an S3-compatible service (omit for AWS).' })
  endpoint?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: bucket.' })
  bucket?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: region (default us-east-1).' })
  region?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: key prefix (default keyward).' })
  prefix?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: access key id.' })
  accessKeyId?: string | null;

  @Field(() => String, { nullable: true, description: 'S3: secret access key. Write-only.' })
  secretAccessKey?: string | null;
}

@InputType({ description: 'A new audit sink: where the audit chains are exported, in which format.' })
export class CreateAuditSinkInput extends SinkFieldsInput {
  @Field(() => String)
  @Length(1, 80)
  name!: string;

  @Field(() => SinkKindEnum)
  kind!: SinkKind;

  @Field(() => SinkFormatEnum, { nullable: true, description: 'KEYWARD (default) or OCSF.' })
  format?: SinkFormat | null;

  @Field(() => [ChainEnum], { nullable: true, description: 'Chains exported (default both).' })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  chains?: ChainKindName[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Also export every row already in the chains; by default the sink starts with the rows stored after it was created.',
  })
  backfill?: boolean | null;
}

@InputType({ description: 'Changes to an audit sink. Its kind stays; fields left out keep their value, secrets included.' })
export class UpdateAuditSinkInput extends SinkFieldsInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 80)
  name?: string | null;

  @Field(() => SinkFormatEnum, { nullable: true })
  format?: SinkFormat | null;

  @Field(() => [ChainEnum], { nullable: true })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  chains?: ChainKindName[] | null;
}
