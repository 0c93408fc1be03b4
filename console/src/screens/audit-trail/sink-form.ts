import type { AuditSinkKind, CreateAuditSinkInput } from '@/gql/graphql';

/** One input of the create form. */
export interface SinkField {
  readonly key:
    | 'url'
    | 'token'
    | 'index'
    | 'sourcetype'
    | 'host'
    | 'port'
    | 'transport'
    | 'caCertificate'
    | 'endpoint'
    | 'bucket'
    | 'region'
    | 'prefix'
    | 'accessKeyId'
    | 'secretAccessKey';
  readonly label: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly multiline?: boolean;
  readonly placeholder?: string;
  readonly hint?: string;
}

/** The kinds of sink, in the order the form offers them, with the fields each reads. */
export const SINK_KINDS: readonly { value: AuditSinkKind; label: string; fields: readonly SinkField[] }[] = [
  {
    value: 'HTTPS',
    label: 'HTTPS webhook (NDJSON)',
    fields: [{ key: 'url', label: 'Endpoint URL', required: true, placeholder: 'https://siem.example.com/keyward', hint: 'Signed like Keyward webhooks.' }],
  },
  {
    value: 'SPLUNK_HEC',
    label: 'Splunk HTTP Event Collector',
    fields: [
      { key: 'url', label: 'Collector URL', required: true, placeholder: 'https://splunk.example.com:8088' },
      { key: 'token', label: 'HEC token', required: true, secret: true },
      { key: 'index', label: 'Index', placeholder: 'main' },
      { key: 'sourcetype', label: 'Sourcetype', placeholder: 'keyward:audit' },
    ],
  },
  {
    value: 'OTLP',
    label: 'OpenTelemetry logs (OTLP/HTTP)',
    fields: [
      { key: 'url', label: 'Logs URL', required: true, placeholder: 'https://otel.example.com:4318/v1/logs' },
      { key: 'token', label: 'Bearer token', secret: true },
    ],
  },
  {
    value: 'SYSLOG',
    label: 'Syslog (RFC 5424)',
    fields: [
      { key: 'host', label: 'Host', required: true, placeholder: 'logs.example.com' },
      { key: 'port', label: 'Port', placeholder: '6514 for TLS, 514 otherwise' },
      { key: 'transport', label: 'Transport' },
      { key: 'caCertificate', label: 'CA certificate (PEM, TLS)', multiline: true, placeholder: '-----BEGIN CERTIFICATE-----' },
    ],
  },
  {
    value: 'S3',
    label: 'S3-compatible bucket (hourly gzip NDJSON)',
    fields: [
      { key: 'bucket', label: 'Bucket', required: true },
      { key: 'accessKeyId', label: 'Access key id', required: true },
      { key: 'secretAccessKey', label: 'Secret access key', required: true, secret: true },
      { key: 'region', label: 'Region', placeholder: 'us-east-1' },
      { key: 'endpoint', label: 'Endpoint (S3-compatible services)', placeholder: 'https://s3.example.com' },
      { key: 'prefix', label: 'Key prefix', placeholder: 'keyward' },
    ],
  },
];

/** The field a control-plane message is about: messages start with the field's name (`port: must be…`). */
export function fieldOfMessage(message: string): string | null {
  return /^([A-Za-z]+): /.exec(message)?.[1] ?? null;
}

/** Checks the form before sending; answers a message per field. */
export function checkSinkForm(kind: AuditSinkKind, name: string, values: Record<string, string>): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!name.trim()) problems.name = 'Give the sink a name.';
  for (const field of SINK_KINDS.find((k) => k.value === kind)!.fields) {
    const value = (values[field.key] ?? '').trim();
    if (field.required && !value) problems[field.key] = `${field.label} is required.`;
    if (field.key === 'port' && value && !/^\d{1,5}$/.test(value)) problems.port = 'Port must be a whole number from 1 to 65535.';
    if ((field.key === 'url' || field.key === 'endpoint') && value && !/^https?:\/\//.test(value)) problems[field.key] = 'Use an https:// URL.';
  }
  return problems;
}

/** The create input from the form: only the kind's fields, blanks left out. */
export function sinkInput(kind: AuditSinkKind, name: string, format: 'KEYWARD' | 'OCSF', values: Record<string, string>): CreateAuditSinkInput {
  const input: Record<string, unknown> = { name: name.trim(), kind, format };
  for (const field of SINK_KINDS.find((k) => k.value === kind)!.fields) {
    const value = (values[field.key] ?? '').trim();
    if (!value) continue;
    input[field.key] = field.key === 'port' ? Number(value) : value;
  }
  return input as unknown as CreateAuditSinkInput;
}
