import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { ADDRESS_CLASS_DESCRIPTIONS, checkBaseUrl, classifyAddress, isAddressAllowed, UnsafeUrlError, type AddressPolicy } from '@keyward/shared';
import { AppError } from '../errors.js';

/** Where a sink sends: an HTTPS NDJSON webhook, Splunk HEC, OTLP/HTTP logs, syslog, or an S3-compatible bucket. */
export type SinkKind = 'https' | 'splunk' | 'otlp' | 'syslog' | 's3';

/** What each record looks like: Keyward's own JSON, or OCSF API Activity. */
export type SinkFormat = 'keyward' | 'ocsf';

/** How syslog messages travel. */
export type SyslogTransport = 'tcp' | 'tls' | 'udp';

/** Settings of every kind that are not secret, as stored in `audit_sinks.settings`. */
export interface SinkSettings {
  /** https, splunk, otlp: where to POST (Splunk: the collector's base URL). */
  readonly url?: string;
  /** splunk: optional index and sourcetype set on every event. */
  readonly index?: string | null;
  readonly sourcetype?: string | null;
  /** syslog. */
  readonly host?: string;
  readonly port?: number;
  readonly transport?: SyslogTransport;
  /** syslog over TLS: PEM certificate(s) to trust besides the system's. */
  readonly caCertificate?: string | null;
  /** s3. */
  readonly endpoint?: string | null;
  readonly bucket?: string;
  readonly region?: string;
  readonly prefix?: string;
  readonly accessKeyId?: string;
}

/** The fields a create or update may carry, as the GraphQL input has them. */
export type SinkFields = { readonly [K in keyof SinkSettings]?: SinkSettings[K] | null } & {
  readonly token?: string | null;
  readonly secretAccessKey?: string | null;
};

/**
 * Checks a kind's fields and returns its stored settings and its secret. Every message names the
 * field it is about. URLs and hosts follow the rules of credential base URLs: https, no private,
 * link-local or metadata address (loopback only where the control plane allows it); names are
 * checked again on every connection.
 */
export function checkSinkFields(
  kind: SinkKind,
  fields: SinkFields,
  policy: AddressPolicy,
  previousSecret: 'kept' | 'none',
): { settings: SinkSettings; secret: string | null } {
  const keep = previousSecret === 'kept';
  switch (kind) {
    case 'https':
      return { settings: { url: checkedUrl(required(fields.url, 'url'), 'url', policy) }, secret: null };
    case 'splunk':
      return {
        settings: {
          url: checkedUrl(required(fields.url, 'url'), 'url', policy),
          index: optionalName(fields.index, 'index'),
          sourcetype: optionalName(fields.sourcetype, 'sourcetype'),
        },
        secret: keep && fields.token == null ? null : checkedToken(required(fields.token, 'token'), 'token'),
      };
    case 'otlp':
      return {
        settings: { url: checkedUrl(required(fields.url, 'url'), 'url', policy) },
        secret: fields.token == null ? (keep ? null : '') : checkedToken(fields.token, 'token'),
      };
    case 'syslog': {
      const transport = fields.transport ?? 'tls';
      return {
        settings: {
          host: checkedHost(required(fields.host, 'host'), 'host', policy),
          port: checkedPort(fields.port ?? (transport === 'tls' ? 6514 : 514)),
          transport,
          caCertificate: transport === 'tls' ? checkedCertificate(fields.caCertificate) : null,
        },
        secret: keep ? null : '',
      };
    }
    case 's3':
      return {
        settings: {
          endpoint: fields.endpoint ? checkedUrl(fields.endpoint, 'endpoint', policy).replace(/\/+$/, '') : null,
          bucket: checkedBucket(required(fields.bucket, 'bucket')),
          region: checkedRegion(fields.region ?? 'us-east-1'),
          prefix: checkedPrefix(fields.prefix ?? 'keyward'),
          accessKeyId: checkedToken(required(fields.accessKeyId, 'accessKeyId'), 'accessKeyId'),
        },
        secret: keep && fields.secretAccessKey == null ? null : checkedToken(required(fields.secretAccessKey, 'secretAccessKey'), 'secretAccessKey'),
      };
  }
}

function bad(field: string, message: string): AppError {
  return new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });
}

function required<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined || value === '') throw bad(field, 'is required for this kind of sink.');
  return value;
}

function checkedUrl(url: string, field: string, policy: AddressPolicy): string {
  try {
    checkBaseUrl(url, policy);
  } catch (error) {
    if (!(error instanceof UnsafeUrlError)) throw error;
    throw bad(field, `${error.message.replace(/^base URL/, 'the URL')}.`);
  }
  return url;
}

/** A host name or IP literal; an IP literal (and `localhost`) must be an address the policy allows. */
function checkedHost(host: string, field: string, policy: AddressPolicy): string {
  const h = host.trim().toLowerCase();
  if (!isIP(h) && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(h)) {
    throw bad(field, 'must be a host name or an IP address.');
  }
  const addressClass = isIP(h) ? classifyAddress(h) : h === 'localhost' || h.endsWith('.localhost') ? 'loopback' : null;
  if (addressClass && !isAddressAllowed(addressClass, policy)) throw bad(field, `must be a public address, not ${ADDRESS_CLASS_DESCRIPTIONS[addressClass]}.`);
  return h;
}

function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('port', 'must be a whole number from 1 to 65535.');
  return port;
}

function checkedCertificate(pem: string | null | undefined): string | null {
  if (!pem) return null;
  try {
    new X509Certificate(pem);
  } catch {
    throw bad('caCertificate', 'must be a PEM certificate (-----BEGIN CERTIFICATE-----…).');
  }
  return pem;
}

function checkedToken(value: string, field: string): string {
  if (value.length > 4096 || /[\s\p{Cc}]/u.test(value)) throw bad(field, 'must be at most 4096 characters with no spaces or control characters.');
  return value;
}

function optionalName(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (!/^[A-Za-z0-9_:.-]{1,100}$/.test(value)) throw bad(field, 'must be 1 to 100 letters, digits or _ : . -');
  return value;
}

function checkedBucket(bucket: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw bad('bucket', 'must be 3 to 63 lower-case letters, digits, dots or hyphens.');
  return bucket;
}

function checkedRegion(region: string): string {
  if (!/^[a-z0-9-]{1,40}$/.test(region)) throw bad('region', 'must be a region name such as us-east-1.');
  return region;
}

function checkedPrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9!_.*'()/-]{0,200}$/.test(p) || p.includes('//') || p.split('/').some((part) => part === '.' || part === '..')) {
    throw bad('prefix', "must be up to 200 characters of letters, digits and !_.*'()-, segments separated by /.");
  }
  return p;
}
