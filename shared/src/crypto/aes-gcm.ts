import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** GCM's standard nonce size; random 96-bit nonces are safe for far more messages than one key ever sees here. */
export const GCM_IV_BYTES = 12;
/** Full-length tag: truncated GCM tags weaken authentication. */
export const GCM_TAG_BYTES = 16;
/** AES-256 key size, used for both data keys and KEKs. */
export const AES_KEY_BYTES = 32;

/** The three outputs of one AES-256-GCM encryption. */
export interface GcmParts {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** AES-256-GCM under a fresh random nonce, authenticating `aad` alongside the plaintext. */
export function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): GcmParts {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Reverses `gcmEncrypt`; returns null instead of throwing when authentication fails. */
export function gcmDecrypt(key: Buffer, parts: GcmParts, aad: Buffer): Buffer | null {
  if (key.length !== AES_KEY_BYTES || parts.iv.length !== GCM_IV_BYTES || parts.tag.length !== GCM_TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

/** Packs GCM parts as `iv ‖ ciphertext ‖ tag`, the layout wrapped keys are stored in. */
export function packGcm(parts: GcmParts): Buffer {
  return Buffer.concat([parts.iv, parts.ciphertext, parts.tag]);
}

/** Splits a packed `iv ‖ ciphertext ‖ tag` buffer; null when it is too short to be one. */
export function unpackGcm(packed: Buffer): GcmParts | null {
  if (packed.length < GCM_IV_BYTES + GCM_TAG_BYTES) return null;
  return {
    iv: packed.subarray(0, GCM_IV_BYTES),
    ciphertext: packed.subarray(GCM_IV_BYTES, packed.length - GCM_TAG_BYTES),
    tag: packed.subarray(packed.length - GCM_TAG_BYTES),
  };
}
