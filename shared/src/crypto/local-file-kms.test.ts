import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSecret, rewrapSealed, sealSecret } from './envelope.js';
import { KmsError, SecretDecryptError } from './kms.js';
import { LocalFileKms } from './local-file-kms.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyward-kms-'));
  path = join(dir, 'kms-keys.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local key file KMS', () => {
  it('creates the key file with mode 0600 on first use', async () => {
    const kms = await LocalFileKms.open(path, { create: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(kms.primaryKekId()).toMatch(/^local:[0-9a-f]{16}$/);
  });

  it('refuses to start without a key file when creation is not allowed', async () => {
    await expect(LocalFileKms.open(path, { create: false })).rejects.toThrow(`KMS key file ${path} does not exist`);
  });

  it('reopens the same KEKs from the file', async () => {
    const first = await LocalFileKms.open(path, { create: true });
    const sealed = await sealSecret(first, 'provider-secret', 'org:cred');
    const second = await LocalFileKms.open(path, { create: true });
    expect(second.primaryKekId()).toBe(first.primaryKekId());
    expect(await openSecret(second, sealed, 'org:cred')).toBe('provider-secret');
  });

  it('refuses a key file that group or others can read', async () => {
    await LocalFileKms.open(path, { create: true });
    await chmod(path, 0o644);
    const error = await LocalFileKms.open(path, { create: false }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect((error as Error).message).toBe(`KMS key file ${path} has mode 0644 and must not be accessible by group or others; run chmod 600 on it`);
  });

  it('names the bad field of a corrupt key file without printing any key', async () => {
    await LocalFileKms.open(path, { create: true });
    const file = JSON.parse(await readFile(path, 'utf8'));
    const realKey = file.keks[0].key;
    file.keks[0].key = 'c2hvcnQ=';
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    const error = await LocalFileKms.open(path, { create: false }).catch((e: Error) => e);
    expect((error as Error).message).toBe(`KMS key file ${path}: "keks[0].key" must be base64 of exactly 32 bytes`);
    expect((error as Error).message).not.toContain(realKey);
  });

  it('rotates to a new primary KEK, re-wraps, and can then drop the old KEK', async () => {
    const kms = await LocalFileKms.open(path, { create: true });
    const oldKek = kms.primaryKekId();
    const sealed = await sealSecret(kms, 'provider-secret', 'org:cred');

    const newKek = await kms.rotate();
    expect(newKek).not.toBe(oldKek);
    expect(kms.kekIds()).toEqual([newKek, oldKek]);
    expect(await openSecret(kms, sealed, 'org:cred')).toBe('provider-secret');

    const rewrapped = await rewrapSealed(kms, sealed, 'org:cred');
    expect(rewrapped.kekId).toBe(newKek);
    await kms.removeKek(oldKek);

    const reopened = await LocalFileKms.open(path, { create: false });
    expect(reopened.kekIds()).toEqual([newKek]);
    expect(await openSecret(reopened, rewrapped, 'org:cred')).toBe('provider-secret');
    await expect(openSecret(reopened, sealed, 'org:cred')).rejects.toBeInstanceOf(SecretDecryptError);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('refuses to remove the primary KEK', async () => {
    const kms = await LocalFileKms.open(path, { create: true });
    await expect(kms.removeKek(kms.primaryKekId())).rejects.toThrow(/is the primary KEK; rotate before removing it/);
  });

  it('picks up a KEK rotated in by another process when it meets one', async () => {
    const server = await LocalFileKms.open(path, { create: true });
    const admin = await LocalFileKms.open(path, { create: false });
    await admin.rotate();
    const sealed = await sealSecret(admin, 'provider-secret', 'org:cred');
    expect(await openSecret(server, sealed, 'org:cred')).toBe('provider-secret');
  });
});

describe('KMS from key material', () => {
  it('gives the same KEK id as the same key in a file', async () => {
    const fileKms = await LocalFileKms.open(path, { create: true });
    const key = JSON.parse(await readFile(path, 'utf8')).keks[0].key as string;
    expect(LocalFileKms.fromKeyMaterial(key).primaryKekId()).toBe(fileKms.primaryKekId());
  });

  it('refuses material that is not base64 of 32 bytes, without echoing it', () => {
    expect(() => LocalFileKms.fromKeyMaterial('not-a-key')).toThrow('KMS key material must be base64 of exactly 32 bytes');
    expect(() => LocalFileKms.fromKeyMaterial(Buffer.alloc(16).toString('base64'))).toThrow(KmsError);
  });

  it('cannot rotate, since there is nowhere to keep the old KEK', async () => {
    const kms = LocalFileKms.fromKeyMaterial(Buffer.alloc(32, 3).toString('base64'));
    await expect(kms.rotate()).rejects.toThrow('a KMS built from key material cannot rotate; use a key file');
  });

  it('does not unwrap a key wrapped by another backend', async () => {
    const kms = LocalFileKms.fromKeyMaterial(Buffer.alloc(32, 3).toString('base64'));
    await expect(kms.unwrap('gcp:projects/p/locations/l/keyRings/r/cryptoKeys/k', Buffer.alloc(60), Buffer.from('a'))).rejects.toThrow(
      /does not belong to the local KMS/,
    );
  });
});
