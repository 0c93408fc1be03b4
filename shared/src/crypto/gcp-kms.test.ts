import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecret, rewrapSealed, sealSecret } from './envelope.js';
import { GcpKms } from './gcp-kms.js';
import { KmsError, SecretDecryptError } from './kms.js';
import { startFakeGcpKms, type FakeGcpKms } from './testing/fake-gcp-kms.js';

let fake: FakeGcpKms;
let kms: GcpKms;

beforeAll(async () => {
  fake = await startFakeGcpKms();
  kms = new GcpKms(fake.keyName, {
    clientOptions: { apiEndpoint: fake.endpoint, port: fake.port, sslCreds: credentials.createInsecure() },
  });
});

afterAll(async () => {
  await kms?.close();
  await fake?.close();
});

describe('Google Cloud KMS backend', () => {
  it('seals and opens a secret through the real client and the gRPC protocol', async () => {
    const before = { ...fake.calls };
    const sealed = await sealSecret(kms, 'sk-ant-provider-secret', 'org-1:cred-1');
    expect(sealed.kekId).toBe(`gcp:${fake.keyName}`);
    expect(await openSecret(kms, sealed, 'org-1:cred-1')).toBe('sk-ant-provider-secret');
    expect(fake.calls.encrypt - before.encrypt).toBe(1);
    expect(fake.calls.decrypt - before.decrypt).toBe(1);
  });

  it("turns the service's INVALID_ARGUMENT for a wrong AAD into SecretDecryptError", async () => {
    const sealed = await sealSecret(kms, 'sk-ant-provider-secret', 'org-1:cred-1');
    await expect(openSecret(kms, sealed, 'org-1:cred-2')).rejects.toBeInstanceOf(SecretDecryptError);
  });

  it('keeps decrypting after the CryptoKey rotates, and re-wraps onto the new version', async () => {
    const sealed = await sealSecret(kms, 'rotating-secret', 'org-1:cred-3');
    fake.rotateKey();
    expect(await openSecret(kms, sealed, 'org-1:cred-3')).toBe('rotating-secret');
    const rewrapped = await rewrapSealed(kms, sealed, 'org-1:cred-3');
    expect(rewrapped.wrappedKey).not.toBe(sealed.wrappedKey);
    expect(rewrapped.ciphertext).toBe(sealed.ciphertext);
    expect(await openSecret(kms, rewrapped, 'org-1:cred-3')).toBe('rotating-secret');
  });

  it('reports a missing CryptoKey as a KMS failure, not a bad secret', async () => {
    const missing = new GcpKms('projects/keyward-test/locations/global/keyRings/keyward/cryptoKeys/missing', {
      clientOptions: { apiEndpoint: fake.endpoint, port: fake.port, sslCreds: credentials.createInsecure() },
    });
    try {
      const error = await missing.wrap(Buffer.alloc(32), Buffer.from('org:cred')).catch((e: Error) => e);
      expect(error).toBeInstanceOf(KmsError);
      expect((error as Error).message).toMatch(/^Cloud KMS encrypt failed with NOT_FOUND: CryptoKey .*missing not found\.$/);
    } finally {
      await missing.close();
    }
  });

  it('refuses a key name that is not a CryptoKey resource name', () => {
    expect(() => new GcpKms('projects/p/locations/l/keyRings/r')).toThrow(/must be a CryptoKey resource name/);
  });
});

describe('the fake Cloud KMS', () => {
  it('checks the CRC32C a client sends, as the real service does', async () => {
    const { KeyManagementServiceClient } = await import('@google-cloud/kms');
    const client = new KeyManagementServiceClient({
      apiEndpoint: fake.endpoint,
      port: fake.port,
      sslCreds: credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
    try {
      const error = await client
        .encrypt({ name: fake.keyName, plaintext: Buffer.from('data'), plaintextCrc32c: { value: 1 } })
        .catch((e: Error & { code: number }) => e);
      expect((error as { code: number }).code).toBe(3);
      expect((error as Error).message).toContain('The checksum in field plaintext_crc32c did not match');
    } finally {
      await client.close();
    }
  });
});
