import { GcpKms } from './gcp-kms.js';
import { KmsError, type Kms } from './kms.js';
import { LocalFileKms } from './local-file-kms.js';

/** Options for `createKms`. */
export interface CreateKmsOptions {
  /** For `local:<path>`: create the key file on first use (default false). */
  readonly createKeyFile?: boolean;
  /**
   * For `gcp:`: talk to another endpoint instead of cloudkms.googleapis.com. `http://host:port`
   * means plaintext gRPC without Google credentials (a fake or emulator); `https://host:port`
   * keeps TLS and the usual credentials (a private endpoint).
   */
  readonly gcpEndpoint?: string;
  /** For `gcp:`: per-call deadline in milliseconds. */
  readonly gcpTimeoutMs?: number;
}

/** The spec forms `createKms` understands, for messages and docs. */
export const KMS_SPEC_FORMS = 'local:<key file path>, local-key:<base64 of 32 bytes> or gcp:<CryptoKey resource name>';

/**
 * Builds a KMS from a one-line spec, as given in configuration:
 * `local:<path>` (a key file), `local-key:<base64>` (one KEK from the environment) or
 * `gcp:projects/…/cryptoKeys/<key>` (Google Cloud KMS). A bad spec throws `KmsError` with one
 * sentence; the spec itself is never echoed, since `local-key:` carries key material.
 */
export async function createKms(spec: string, options: CreateKmsOptions = {}): Promise<Kms> {
  const colon = typeof spec === 'string' ? spec.indexOf(':') : -1;
  const scheme = colon > 0 ? spec.slice(0, colon) : '';
  const rest = colon > 0 ? spec.slice(colon + 1).trim() : '';
  switch (scheme) {
    case 'local':
      if (rest === '') throw new KmsError('KMS spec "local:" needs a key file path after the colon');
      return LocalFileKms.open(rest, { create: options.createKeyFile ?? false });
    case 'local-key':
      return LocalFileKms.fromKeyMaterial(rest);
    case 'gcp':
      return new GcpKms(rest, {
        clientOptions: options.gcpEndpoint === undefined ? {} : await endpointOptions(options.gcpEndpoint),
        timeoutMs: options.gcpTimeoutMs,
      });
    default:
      throw new KmsError(`KMS spec must be one of ${KMS_SPEC_FORMS}`);
  }
}

async function endpointOptions(endpoint: string) {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new KmsError('Cloud KMS endpoint must be a URL such as http://127.0.0.1:9000 or https://kms.internal:443');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.pathname.length > 1) {
    throw new KmsError('Cloud KMS endpoint must be http://host:port or https://host:port with no path');
  }
  const apiEndpoint = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (url.protocol === 'https:') return { apiEndpoint, port };
  const grpc = await import('@grpc/grpc-js');
  return { apiEndpoint, port, sslCreds: grpc.credentials.createInsecure() };
}
