import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKms } from './create-kms.js';
import { openSecret, sealSecret } from './envelope.js';
import { GcpKms } from './gcp-kms.js';
import { KmsError } from './kms.js';
import { LocalFileKms } from './local-file-kms.js';
import { startFakeGcpKms, type FakeGcpKms } from './testing/fake-gcp-kms.js';

let dir: string;
let fake: FakeGcpKms;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyward-create-kms-'));
  fake = await startFakeGcpKms();
});

afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createKms', () => {
  it('opens a key file for local:<path>, creating it only when asked', async () => {
    const path = join(dir, 'keys.json');
    await expect(createKms(`local:${path}`)).rejects.toThrow(/does not exist/);
    const kms = await createKms(`local:${path}`, { createKeyFile: true });
    expect(kms).toBeInstanceOf(LocalFileKms);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('builds a single-KEK KMS for local-key:<base64>', async () => {
    const kms = await createKms(`local-key:${Buffer.alloc(32, 9).toString('base64')}`);
    expect(await openSecret(kms, await sealSecret(kms, 's', 'a:b'), 'a:b')).toBe('s');
  });

  it('never echoes key material from a bad local-key spec', async () => {
    const error = await createKms('local-key:c2VjcmV0LWtleS1tYXRlcmlhbA==').catch((e: Error) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect((error as Error).message).not.toContain('c2VjcmV0');
  });

  it('talks to a Cloud KMS endpoint given as http://host:port over plaintext gRPC', async () => {
    const kms = await createKms(`gcp:${fake.keyName}`, { gcpEndpoint: fake.url });
    try {
      expect(kms).toBeInstanceOf(GcpKms);
      expect(await openSecret(kms, await sealSecret(kms, 'via-spec', 'o:c'), 'o:c')).toBe('via-spec');
    } finally {
      await kms.close?.();
    }
  });

  it('explains the accepted forms for an unknown spec', async () => {
    await expect(createKms('vault:secret/kek')).rejects.toThrow(
      'KMS spec must be one of local:<key file path>, local-key:<base64 of 32 bytes> or gcp:<CryptoKey resource name>',
    );
    await expect(createKms('')).rejects.toThrow(KmsError);
  });

  it('refuses an endpoint that is not http(s)://host:port', async () => {
    await expect(createKms(`gcp:${fake.keyName}`, { gcpEndpoint: 'localhost' })).rejects.toThrow(/Cloud KMS endpoint must be/);
    await expect(createKms(`gcp:${fake.keyName}`, { gcpEndpoint: 'ftp://h:1' })).rejects.toThrow(/Cloud KMS endpoint must be/);
  });
});
