import { randomBytes } from 'node:crypto';
import { createKms, sealSecret, type CredentialConfig, type Kms } from '@keyward/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialSecrets } from './credential-secrets.js';

const ORG = '00000000-0000-7000-8000-000000000001';
const ID = '00000000-0000-7000-8000-000000000009';

describe('provider credentials in memory', () => {
  let kms: Kms;
  let unwraps = 0;
  const credential = async (plaintext: string, secretVersion = 1, aadOrg = ORG): Promise<CredentialConfig> => ({
    id: ID,
    orgId: ORG,
    provider: 'openai',
    name: 'c',
    baseUrl: null,
    models: [],
    secret: await sealSecret(kms, plaintext, `${aadOrg}:${ID}`),
    secretVersion,
  });

  beforeAll(async () => {
    const real = await createKms(`local-key:${randomBytes(32).toString('base64')}`);
    kms = {
      ...real,
      name: real.name,
      wrap: real.wrap.bind(real),
      primaryKekId: real.primaryKekId.bind(real),
      unwrap: (...args) => (unwraps++, real.unwrap(...args)),
    };
  });

  it('unwraps once and serves the cached plaintext until the TTL passes', async () => {
    let now = 0;
    const secrets = new CredentialSecrets(kms, 1_000, () => now);
    const c = await credential('sk-one');
    unwraps = 0;
    expect(await secrets.get(c)).toBe('sk-one');
    expect(await secrets.get(c)).toBe('sk-one');
    expect(unwraps).toBe(1);
    now = 1_001;
    expect(await secrets.get(c)).toBe('sk-one');
    expect(unwraps).toBe(2);
  });

  it('unwraps again when the secret version changes (rotation)', async () => {
    const secrets = new CredentialSecrets(kms, 60_000);
    expect(await secrets.get(await credential('sk-old', 1))).toBe('sk-old');
    expect(await secrets.get(await credential('sk-new', 2))).toBe('sk-new');
  });

  it('does not cache a failed unwrap (a ciphertext bound to another org)', async () => {
    const secrets = new CredentialSecrets(kms, 60_000);
    const moved = await credential('sk-x', 1, '00000000-0000-7000-8000-00000000dead');
    await expect(secrets.get(moved)).rejects.toThrow();
    expect(secrets.size).toBe(0);
  });
});
