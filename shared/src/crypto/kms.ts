/**
 * A key-encryption-key service. It wraps (encrypts) data keys and unwraps them again; the KEKs
 * themselves never leave it. Associated data is bound into every wrap, so a wrapped key only
 * unwraps for the row it was made for.
 */
export interface Kms {
  /** Short backend name for logs (`local`, `gcp`); never contains key material. */
  readonly name: string;
  /** Wraps `dataKey` under the current primary KEK, binding `aad`. */
  wrap(dataKey: Buffer, aad: Buffer): Promise<{ kekId: string; wrapped: Buffer }>;
  /** Unwraps a data key wrapped under `kekId`; rejects with `SecretDecryptError` when anything does not match. */
  unwrap(kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** The KEK id new wraps use: sealed secrets under any other id are due for `rewrapSealed`. */
  primaryKekId(): string;
  /** Releases connections (gRPC channels); a no-op for in-process backends. */
  close?(): Promise<void>;
}

/**
 * A secret could not be decrypted: the ciphertext, its associated data or its key do not match
 * (tampering, a ciphertext copied to another row, or a KEK that is gone). Deliberately says
 * nothing more, so it cannot leak anything about the secret.
 */
export class SecretDecryptError extends Error {
  override name = 'SecretDecryptError';
  constructor(message = 'secret could not be decrypted: its ciphertext, associated data or key does not match') {
    super(message);
  }
}

/**
 * The KMS itself failed (unreachable, refused, misconfigured) rather than the secret being wrong.
 * Callers may retry these; they must not retry `SecretDecryptError`.
 */
export class KmsError extends Error {
  override name = 'KmsError';
}
