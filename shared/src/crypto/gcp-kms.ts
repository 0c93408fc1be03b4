import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { crc32c } from './crc32c.js';
import { KmsError, SecretDecryptError, type Kms } from './kms.js';

/** Options for the underlying `KeyManagementServiceClient` (apiEndpoint, port, sslCreds, credentials…). */
export type GcpKmsClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;

/** Options for `GcpKms`. */
export interface GcpKmsOptions {
  /** Passed to the client: point `apiEndpoint`/`port` elsewhere and give `sslCreds` to use a fake or an emulator. */
  readonly clientOptions?: GcpKmsClientOptions;
  /** Per-call deadline; unwrapping sits in front of a request, so it must fail fast rather than hang. */
  readonly timeoutMs?: number;
}

const KEK_ID_PREFIX = 'gcp:';
const CRYPTO_KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/**
 * Google Cloud KMS as the KEK holder: data keys are wrapped with `encrypt` and unwrapped with
 * `decrypt` on one CryptoKey, with the associated data passed as `additionalAuthenticatedData`.
 * CRC32C checksums go both ways, as Google recommends, so corruption in transit is caught.
 *
 * The KEK id is `gcp:` plus the CryptoKey name. Cloud KMS records the key version inside its
 * ciphertext and rotates versions itself, so older versions keep decrypting; `rewrapSealed`
 * moves a data key to the current primary version.
 */
export class GcpKms implements Kms {
  readonly name = 'gcp';
  private client: Promise<KeyManagementServiceClient> | null = null;
  private readonly timeoutMs: number;

  constructor(
    private readonly cryptoKeyName: string,
    private readonly options: GcpKmsOptions = {},
  ) {
    if (!CRYPTO_KEY_NAME.test(cryptoKeyName)) {
      throw new KmsError('Cloud KMS key must be a CryptoKey resource name: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>');
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  primaryKekId(): string {
    return KEK_ID_PREFIX + this.cryptoKeyName;
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<{ kekId: string; wrapped: Buffer }> {
    const client = await this.getClient();
    let response;
    try {
      [response] = await client.encrypt(
        {
          name: this.cryptoKeyName,
          plaintext: dataKey,
          additionalAuthenticatedData: aad,
          plaintextCrc32c: { value: crc32c(dataKey) },
          additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
        },
        { timeout: this.timeoutMs },
      );
    } catch (err) {
      throw kmsError('encrypt', err);
    }
    const ciphertext = toBuffer(response.ciphertext);
    if (
      !response.verifiedPlaintextCrc32c ||
      !response.verifiedAdditionalAuthenticatedDataCrc32c ||
      int64(response.ciphertextCrc32c?.value) !== crc32c(ciphertext)
    ) {
      throw new KmsError('Cloud KMS encrypt response failed its integrity check (CRC32C); the request may be retried');
    }
    return { kekId: this.primaryKekId(), wrapped: ciphertext };
  }

  async unwrap(kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    // Any CryptoKey this service account may use is accepted, so secrets can migrate between keys by re-wrapping.
    const keyName = kekId.startsWith(KEK_ID_PREFIX) ? kekId.slice(KEK_ID_PREFIX.length) : '';
    if (!CRYPTO_KEY_NAME.test(keyName)) {
      throw new SecretDecryptError(`secret could not be decrypted: KEK "${kekId}" is not a Cloud KMS key`);
    }
    const client = await this.getClient();
    let response;
    try {
      [response] = await client.decrypt(
        {
          name: keyName,
          ciphertext: wrapped,
          additionalAuthenticatedData: aad,
          ciphertextCrc32c: { value: crc32c(wrapped) },
          additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
        },
        { timeout: this.timeoutMs },
      );
    } catch (err) {
      // Cloud KMS answers INVALID_ARGUMENT for a wrong AAD or a ciphertext from another key.
      if ((err as { code?: unknown }).code === GRPC_INVALID_ARGUMENT) throw new SecretDecryptError();
      throw kmsError('decrypt', err);
    }
    const plaintext = toBuffer(response.plaintext);
    if (int64(response.plaintextCrc32c?.value) !== crc32c(plaintext)) {
      throw new KmsError('Cloud KMS decrypt response failed its integrity check (CRC32C); the request may be retried');
    }
    return plaintext;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await (await client).close();
  }

  private getClient(): Promise<KeyManagementServiceClient> {
    // Loaded on first use: the client library is large and most processes never need it.
    this.client ??= import('@google-cloud/kms').then(
      (kms) => new kms.KeyManagementServiceClient({ fallback: false, ...noAuthDefaults(this.options.clientOptions), ...this.options.clientOptions }),
      (err: Error) => {
        this.client = null;
        throw new KmsError(`could not load the Cloud KMS client: ${err.message}`);
      },
    );
    return this.client;
  }
}

/**
 * With explicit channel credentials no Google credentials are used, yet the client still asks
 * the auth library for the universe domain, which probes the GCE metadata server when there are
 * no credentials. Naming the default universe skips that probe.
 */
function noAuthDefaults(options: GcpKmsClientOptions = {}): GcpKmsClientOptions {
  const named = options.universeDomain !== undefined || options.universe_domain !== undefined;
  return options.sslCreds !== undefined && !named ? { universeDomain: 'googleapis.com' } : {};
}

function kmsError(operation: string, err: unknown): KmsError {
  const code = (err as { code?: unknown }).code;
  const codeName = typeof code === 'number' ? (GRPC_CODE_NAMES[code] ?? `code ${code}`) : 'an unknown error';
  const details = (err as { details?: unknown }).details;
  const detail = typeof details === 'string' && details.length > 0 ? `: ${details.slice(0, 300)}` : '';
  return new KmsError(`Cloud KMS ${operation} failed with ${codeName}${detail}`);
}

function toBuffer(value: Uint8Array | string | null | undefined): Buffer {
  if (value == null) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Int64Value fields arrive as number, string or Long depending on loader options. */
function int64(value: unknown): number {
  return value == null ? NaN : Number(String(value));
}
