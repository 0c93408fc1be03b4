import { randomBytes } from 'node:crypto';
import type { SealedSecret } from '../wire/config.js';
import { AES_KEY_BYTES, gcmDecrypt, gcmEncrypt, GCM_IV_BYTES, GCM_TAG_BYTES, type GcmParts } from './aes-gcm.js';
import { SecretDecryptError, type Kms } from './kms.js';

/**
 * Encrypts a secret under a fresh 32-byte data key with AES-256-GCM and wraps the data key with
 * the KMS's primary KEK. `aad` (by convention `orgId:credentialId`) is bound into both layers and
 * is not stored, so the sealed value only opens for the row it was sealed for.
 */
export async function sealSecret(kms: Kms, plaintext: string, aad: string): Promise<SealedSecret> {
  const aadBytes = aadBuffer(aad);
  const dataKey = randomBytes(AES_KEY_BYTES);
  const plainBytes = Buffer.from(plaintext, 'utf8');
  try {
    const parts = gcmEncrypt(dataKey, plainBytes, aadBytes);
    const { kekId, wrapped } = await kms.wrap(dataKey, aadBytes);
    return {
      kekId,
      wrappedKey: wrapped.toString('base64'),
      iv: parts.iv.toString('base64'),
      ciphertext: parts.ciphertext.toString('base64'),
      tag: parts.tag.toString('base64'),
    };
  } finally {
    dataKey.fill(0);
    plainBytes.fill(0);
  }
}

/**
 * Decrypts a sealed secret. Throws `SecretDecryptError` (with no detail of the secret) when the
 * ciphertext, the associated data or the KEK does not match; a `KmsError` means the KMS itself
 * failed and the call may be retried.
 */
export async function openSecret(kms: Kms, sealed: SealedSecret, aad: string): Promise<string> {
  const plain = await decryptSealed(kms, sealed, aadBuffer(aad));
  try {
    return plain.toString('utf8');
  } finally {
    plain.fill(0);
  }
}

/**
 * Re-wraps a sealed secret's data key under the KMS's current primary KEK, leaving the ciphertext
 * untouched. It first checks that the data key really opens the ciphertext, so a corrupt row is
 * reported instead of being re-wrapped. After every row is re-wrapped, old KEKs can be retired.
 */
export async function rewrapSealed(kms: Kms, sealed: SealedSecret, aad: string): Promise<SealedSecret> {
  const aadBytes = aadBuffer(aad);
  const dataKey = await unwrapDataKey(kms, sealed, aadBytes);
  try {
    const plain = gcmDecrypt(dataKey, gcmParts(sealed), aadBytes);
    if (plain === null) throw new SecretDecryptError();
    plain.fill(0);
    const { kekId, wrapped } = await kms.wrap(dataKey, aadBytes);
    return { ...sealed, kekId, wrappedKey: wrapped.toString('base64') };
  } finally {
    dataKey.fill(0);
  }
}

/** True when a sealed secret's data key is wrapped by a KEK other than the KMS's primary. */
export function needsRewrap(kms: Kms, sealed: SealedSecret): boolean {
  return sealed.kekId !== kms.primaryKekId();
}

async function decryptSealed(kms: Kms, sealed: SealedSecret, aad: Buffer): Promise<Buffer> {
  const dataKey = await unwrapDataKey(kms, sealed, aad);
  try {
    const plain = gcmDecrypt(dataKey, gcmParts(sealed), aad);
    if (plain === null) throw new SecretDecryptError();
    return plain;
  } finally {
    dataKey.fill(0);
  }
}

async function unwrapDataKey(kms: Kms, sealed: SealedSecret, aad: Buffer): Promise<Buffer> {
  if (typeof sealed?.kekId !== 'string' || typeof sealed.wrappedKey !== 'string') {
    throw new SecretDecryptError('secret could not be decrypted: the sealed value is malformed');
  }
  const dataKey = await kms.unwrap(sealed.kekId, Buffer.from(sealed.wrappedKey, 'base64'), aad);
  if (dataKey.length !== AES_KEY_BYTES) throw new SecretDecryptError();
  return dataKey;
}

function gcmParts(sealed: SealedSecret): GcmParts {
  const parts = {
    iv: Buffer.from(String(sealed.iv), 'base64'),
    ciphertext: Buffer.from(String(sealed.ciphertext), 'base64'),
    tag: Buffer.from(String(sealed.tag), 'base64'),
  };
  if (parts.iv.length !== GCM_IV_BYTES || parts.tag.length !== GCM_TAG_BYTES) {
    throw new SecretDecryptError('secret could not be decrypted: the sealed value is malformed');
  }
  return parts;
}

function aadBuffer(aad: string): Buffer {
  // An empty aad would make every sealed value portable between rows, defeating the binding.
  if (typeof aad !== 'string' || aad.length === 0) throw new TypeError('associated data must be a non-empty string');
  return Buffer.from(aad, 'utf8');
}
