import { describe, expect, it } from 'vitest';
import { needsRewrap, openSecret, rewrapSealed, sealSecret } from './envelope.js';
import { SecretDecryptError, type Kms } from './kms.js';
import { LocalFileKms } from './local-file-kms.js';

const kms = LocalFileKms.fromKeyMaterial(Buffer.alloc(32, 1).toString('base64'));
const otherKms = LocalFileKms.fromKeyMaterial(Buffer.alloc(32, 2).toString('base64'));
const secret = 'sk-proj-very-secret-provider-key';
const aad = 'org-1:cred-1';

function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] ^= 1;
  return bytes.toString('base64');
}

describe('envelope encryption', () => {
  it('opens what it sealed', async () => {
    const sealed = await sealSecret(kms, secret, aad);
    expect(await openSecret(kms, sealed, aad)).toBe(secret);
  });

  it('stores nothing of the plaintext and uses a fresh data key and nonce every time', async () => {
    const a = await sealSecret(kms, secret, aad);
    const b = await sealSecret(kms, secret, aad);
    expect(JSON.stringify(a)).not.toContain('very-secret');
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.kekId).toBe(kms.primaryKekId());
  });

  it('refuses to open with the wrong associated data', async () => {
    const sealed = await sealSecret(kms, secret, aad);
    await expect(openSecret(kms, sealed, 'org-1:cred-2')).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it("refuses a ciphertext moved onto another row, even with that row's wrapped key", async () => {
    const mine = await sealSecret(kms, secret, aad);
    const theirs = await sealSecret(kms, 'another-secret', 'org-2:cred-9');
    const moved = { ...theirs, iv: mine.iv, ciphertext: mine.ciphertext, tag: mine.tag };
    await expect(openSecret(kms, mine, 'org-2:cred-9')).rejects.toBeInstanceOf(SecretDecryptError);
    await expect(openSecret(kms, moved, 'org-2:cred-9')).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it('refuses a tampered ciphertext, tag or wrapped key', async () => {
    const sealed = await sealSecret(kms, secret, aad);
    for (const field of ['ciphertext', 'tag', 'wrappedKey', 'iv'] as const) {
      const tampered = { ...sealed, [field]: flipFirstByte(sealed[field]) };
      await expect(openSecret(kms, tampered, aad)).rejects.toBeInstanceOf(SecretDecryptError);
    }
  });

  it('refuses to open under a different KEK and says nothing about the secret', async () => {
    const sealed = await sealSecret(kms, secret, aad);
    const error = await openSecret(otherKms, sealed, aad).catch((e: Error) => e);
    expect(error).toBeInstanceOf(SecretDecryptError);
    expect((error as Error).message).not.toContain('secret-provider');
  });

  it('refuses an empty associated data, which would bind a secret to nothing', async () => {
    await expect(sealSecret(kms, secret, '')).rejects.toThrow(/associated data must be a non-empty string/);
  });

  it('round-trips an empty and a multi-byte secret', async () => {
    for (const value of ['', 'ключ-🔑-鍵']) {
      expect(await openSecret(kms, await sealSecret(kms, value, aad), aad)).toBe(value);
    }
  });
});

describe('re-wrapping', () => {
  it('moves the data key to the primary KEK and keeps the ciphertext', async () => {
    const sealed = await sealSecret(otherKms, secret, aad);
    const combined = rotatedKms;
    expect(needsRewrap(combined, sealed)).toBe(true);
    const rewrapped = await rewrapSealed(combined, sealed, aad);
    expect(rewrapped.ciphertext).toBe(sealed.ciphertext);
    expect(rewrapped.kekId).toBe(combined.primaryKekId());
    expect(needsRewrap(combined, rewrapped)).toBe(false);
    expect(await openSecret(combined, rewrapped, aad)).toBe(secret);
  });

  it('refuses to re-wrap a sealed value whose ciphertext does not open', async () => {
    const sealed = await sealSecret(kms, secret, aad);
    await expect(rewrapSealed(kms, { ...sealed, tag: flipFirstByte(sealed.tag) }, aad)).rejects.toBeInstanceOf(SecretDecryptError);
  });
});

/** The state after a rotation: wraps with `kms`'s KEK, still unwraps under `otherKms`'s. */
const rotatedKms: Kms = {
  name: 'rotated',
  primaryKekId: () => kms.primaryKekId(),
  wrap: (dataKey, aadBytes) => kms.wrap(dataKey, aadBytes),
  unwrap: (kekId, wrapped, aadBytes) => (kekId === kms.primaryKekId() ? kms.unwrap(kekId, wrapped, aadBytes) : otherKms.unwrap(kekId, wrapped, aadBytes)),
};
