import { LocalFileKms, openSecret, type CredentialConfig } from '@keyward/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { addMember, createLocalKmsFile, createOrgWithMember, findSecretsInLogs, type LocalKmsFile, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { credentialAad } from './credential.entity.js';

const FIELDS = 'id provider name baseUrl models lastFour secretVersion needsRewrap createdAt rotatedAt keys { id name prefix }';
const CREATE = `mutation($input: CreateCredentialInput!) { createCredential(input: $input) { ${FIELDS} } }`;

interface CredentialView {
  id: string;
  provider: string;
  name: string;
  baseUrl: string | null;
  models: string[];
  lastFour: string;
  secretVersion: number;
  needsRewrap: boolean;
  keys: { id: string; name: string; prefix: string }[];
}

let cp: TestControlPlane;
let kmsFile: LocalKmsFile;
let owner: OrgMember;
/** Every provider secret this file sent, and every GraphQL answer it got back. */
const apiKeys: string[] = [];
const answers: string[] = [];

async function gql<T>(member: OrgMember, query: string, variables?: Record<string, unknown>) {
  const res = await member.gql<T>(query, variables);
  answers.push(JSON.stringify(res));
  return res;
}

function fakeApiKey(tag: string): string {
  const key = `sk-test-${tag}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  apiKeys.push(key);
  return key;
}

async function createCredential(member: OrgMember, input: Record<string, unknown>) {
  return gql<{ createCredential: CredentialView }>(member, CREATE, {
    input: { provider: 'OPENAI', name: `openai ${Math.random().toString(36).slice(2, 8)}`, apiKey: fakeApiKey('c'), ...input },
  });
}

function published(orgId: string, id: string): CredentialConfig | undefined {
  return cp.services.configStore.collectionsOf(orgId).credentials[id];
}

/** Decrypts a credential server-side the way a node does, from what was published. */
function decryptPublished(orgId: string, id: string): Promise<string> {
  return openSecret(cp.services.kms, published(orgId, id)!.secret, credentialAad(orgId, id));
}

beforeAll(async () => {
  kmsFile = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kmsFile.env, KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'false' });
  owner = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  await cp?.close();
  await kmsFile?.remove();
});

describe('creating a credential', () => {
  it('stores the secret envelope-encrypted and shows only its last four characters', async () => {
    const apiKey = fakeApiKey('anthropic');
    const res = await gql<{ createCredential: CredentialView }>(owner, CREATE, {
      input: { provider: 'ANTHROPIC', name: 'anthropic prod', apiKey, models: ['claude-*'] },
    });
    expect(res.errors).toBeUndefined();
    const credential = res.data!.createCredential;
    expect(credential).toMatchObject({
      provider: 'ANTHROPIC',
      name: 'anthropic prod',
      baseUrl: null,
      models: ['claude-*'],
      lastFour: apiKey.slice(-4),
      secretVersion: 1,
      needsRewrap: false,
      keys: [],
    });

    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('select row_to_json(c)::text as row from credentials c where id = $1', [credential.id]);
    await db.end();
    expect(rows[0].row).not.toContain(apiKey);
    expect(await decryptPublished(owner.orgId, credential.id)).toBe(apiKey);
  });

  it('binds the ciphertext to its organization and row', async () => {
    const { data } = await createCredential(owner, {});
    const sealed = published(owner.orgId, data!.createCredential.id)!.secret;
    await expect(openSecret(cp.services.kms, sealed, credentialAad(owner.orgId, crypto.randomUUID()))).rejects.toThrow(/could not be decrypted/);
  });

  it('names the keys that route to it', async () => {
    const { data } = await createCredential(owner, { name: 'routed' });
    const id = data!.createCredential.id;
    const key = await gql<{ createKey: { key: { id: string; name: string; prefix: string } } }>(
      owner,
      'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id name prefix } } }',
      { input: { name: 'uses routed', ownerLabel: 'agent', credentialIds: [id] } },
    );
    const read = await gql<{ credential: CredentialView }>(owner, `query($id: ID!) { credential(id: $id) { ${FIELDS} } }`, { id });
    expect(read.data!.credential.keys).toEqual([key.data!.createKey.key]);
  });

  it('refuses an OpenAI-compatible credential without a base URL', async () => {
    const res = await createCredential(owner, { provider: 'OPENAI_COMPATIBLE' });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toBe('An OpenAI-compatible credential needs a baseUrl.');
  });

  it('accepts a public https base URL', async () => {
    const res = await createCredential(owner, { provider: 'OPENAI_COMPATIBLE', baseUrl: 'https://api.together.xyz/v1/' });
    expect(res.data!.createCredential.baseUrl).toBe('https://api.together.xyz/v1');
    expect(published(owner.orgId, res.data!.createCredential.id)!.baseUrl).toBe('https://api.together.xyz/v1');
  });

  it.each([
    ['plain http', 'http://api.example.com/v1', /must use https/],
    ['a loopback address', 'https://127.0.0.1:8443/v1', /127\.0\.0\.1 is a loopback address/],
    ['a private address', 'https://10.1.2.3/v1', /10\.1\.2\.3 is a private address/],
    ['the metadata service', 'https://169.254.169.254/latest', /169\.254\.169\.254 is a (cloud metadata service|link-local) address/],
    ['localhost', 'https://localhost:9000/v1', /localhost is a loopback name/],
    ['embedded credentials', 'https://user:pw@api.example.com/v1', /must not contain a user name or password/],
  ])('refuses a base URL at %s', async (_what, baseUrl, message) => {
    const res = await createCredential(owner, { provider: 'OPENAI_COMPATIBLE', baseUrl });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/^The baseUrl was refused: /);
    expect(res.errors?.[0].message).toMatch(message);
  });

  it('refuses a secret with spaces or control characters without echoing it', async () => {
    const apiKey = 'sk-has space-0123456789';
    apiKeys.push(apiKey);
    const res = await createCredential(owner, { apiKey });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res.errors)).not.toContain(apiKey);
  });

  it('refuses a second credential with the same name', async () => {
    await createCredential(owner, { name: 'twin' });
    const res = await createCredential(owner, { name: 'twin' });
    expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(res.errors?.[0].message).toBe('A credential named "twin" already exists in this organization.');
  });

  it('is for admins: developers can read credentials but not create them', async () => {
    const developer = await addMember(cp, owner.orgId, 'developer');
    const res = await createCredential(developer, {});
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(developer, '{ credentials { id } }')).errors).toBeUndefined();
  });
});

describe('changing a credential', () => {
  it('rotates the secret: nodes get the new ciphertext and a higher secretVersion', async () => {
    const { data } = await createCredential(owner, {});
    const id = data!.createCredential.id;
    const next = fakeApiKey('rotated');
    const res = await gql<{ rotateCredentialSecret: CredentialView & { rotatedAt: string } }>(
      owner,
      `mutation($id: ID!, $apiKey: String!) { rotateCredentialSecret(id: $id, apiKey: $apiKey) { ${FIELDS} } }`,
      { id, apiKey: next },
    );
    expect(res.data!.rotateCredentialSecret).toMatchObject({ secretVersion: 2, lastFour: next.slice(-4) });
    expect(res.data!.rotateCredentialSecret.rotatedAt).not.toBeNull();
    expect(published(owner.orgId, id)!.secretVersion).toBe(2);
    expect(await decryptPublished(owner.orgId, id)).toBe(next);
  });

  it('updates name, models and base URL, re-checking the URL', async () => {
    const { data } = await createCredential(owner, { provider: 'OPENAI_COMPATIBLE', baseUrl: 'https://llm.example.com/v1' });
    const id = data!.createCredential.id;
    const mutation = `mutation($id: ID!, $input: UpdateCredentialInput!) { updateCredential(id: $id, input: $input) { ${FIELDS} } }`;
    const ok = await gql<{ updateCredential: CredentialView }>(owner, mutation, {
      id,
      input: { name: 'renamed', models: ['llama-*'], baseUrl: 'https://llm2.example.com/v1' },
    });
    expect(ok.data!.updateCredential).toMatchObject({ name: 'renamed', models: ['llama-*'], baseUrl: 'https://llm2.example.com/v1' });
    const bad = await gql(owner, mutation, { id, input: { baseUrl: 'https://192.168.1.10/v1' } });
    expect(bad.errors?.[0].message).toMatch(/192\.168\.1\.10 is a private address/);
    const cleared = await gql(owner, mutation, { id, input: { baseUrl: null } });
    expect(cleared.errors?.[0].message).toBe('An OpenAI-compatible credential needs a baseUrl.');
  });

  it('refuses to delete a credential that keys name, listing them, and deletes it once they let go', async () => {
    const { data } = await createCredential(owner, { name: 'in use' });
    const id = data!.createCredential.id;
    const created = await gql<{ createKey: { key: { id: string; prefix: string } } }>(
      owner,
      'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id prefix } } }',
      { input: { name: 'pinned agent', ownerLabel: 'agent', credentialIds: [id] } },
    );
    const key = created.data!.createKey.key;
    const refused = await gql(owner, 'mutation($id: ID!) { deleteCredential(id: $id) }', { id });
    expect(refused.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(refused.errors?.[0].message).toBe(
      `Credential "in use" is still used by key "pinned agent" (${key.prefix}); remove it from their credentials first.`,
    );
    expect(published(owner.orgId, id)).toBeDefined();

    await gql(owner, 'mutation($id: ID!) { updateKey(id: $id, input: { credentialIds: [] }) { id } }', { id: key.id });
    const deleted = await gql<{ deleteCredential: string }>(owner, 'mutation($id: ID!) { deleteCredential(id: $id) }', { id });
    expect(deleted.data!.deleteCredential).toBe(id);
    expect(published(owner.orgId, id)).toBeUndefined();
    const read = await gql(owner, 'query($id: ID!) { credential(id: $id) { id } }', { id });
    expect(read.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('hides every other organization’s credentials', async () => {
    const other = await createOrgWithMember(cp, 'owner');
    const { data } = await createCredential(owner, {});
    const id = data!.createCredential.id;
    expect((await gql(other, 'query($id: ID!) { credential(id: $id) { id } }', { id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gql(other, 'mutation($id: ID!) { deleteCredential(id: $id) }', { id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const list = await gql<{ credentials: unknown[] }>(other, '{ credentials { id } }');
    expect(list.data!.credentials).toEqual([]);
  });
});

describe('rotating the key-encryption key', () => {
  it('re-wraps every credential under the new KEK so the old one can be removed', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const secrets = [fakeApiKey('k1'), fakeApiKey('k2')];
    const ids: string[] = [];
    for (const [i, apiKey] of secrets.entries()) {
      ids.push((await createCredential(org, { name: `cred ${i}`, apiKey })).data!.createCredential.id);
    }
    const kms = cp.services.kms as LocalFileKms;
    const oldKek = kms.primaryKekId();
    const newKek = await kms.rotate();
    expect(newKek).not.toBe(oldKek);

    const before = await gql<{ credentials: CredentialView[] }>(org, `{ credentials { ${FIELDS} } }`);
    expect(before.data!.credentials.map((c) => c.needsRewrap)).toEqual([true, true]);

    const admin = await addMember(cp, org.orgId, 'admin');
    const refused = await gql(admin, 'mutation { rewrapCredentials { rewrapped } }');
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const res = await gql<{ rewrapCredentials: { rewrapped: number; alreadyCurrent: number; primaryKekId: string } }>(
      org,
      'mutation { rewrapCredentials { rewrapped alreadyCurrent primaryKekId } }',
    );
    expect(res.data!.rewrapCredentials).toEqual({ rewrapped: 2, alreadyCurrent: 0, primaryKekId: newKek });
    for (const id of ids) expect(published(org.orgId, id)!.secret.kekId).toBe(newKek);

    // The first organization's credentials are still under the old KEK: re-wrap them too before retiring it.
    await gql(owner, 'mutation { rewrapCredentials { rewrapped } }');
    await kms.removeKek(oldKek);
    const reopened = await LocalFileKms.open(kmsFile.path, { create: false });
    expect(reopened.kekIds()).toEqual([newKek]);
    for (const [i, id] of ids.entries()) {
      expect(await openSecret(reopened, published(org.orgId, id)!.secret, credentialAad(org.orgId, id))).toBe(secrets[i]);
    }
    const again = await gql<{ rewrapCredentials: { rewrapped: number; alreadyCurrent: number } }>(
      org,
      'mutation { rewrapCredentials { rewrapped alreadyCurrent } }',
    );
    expect(again.data!.rewrapCredentials).toEqual({ rewrapped: 0, alreadyCurrent: 2 });
  });
});

describe('secrecy', () => {
  it('never returns, logs or audits a provider secret', async () => {
    expect(apiKeys.length).toBeGreaterThan(10);
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) for (const apiKey of apiKeys) expect(answer).not.toContain(apiKey);
    expect(findSecretsInLogs(cp.logs, apiKeys)).toEqual([]);

    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    const { rows } = await db.query(`select row_to_json(a)::text as row from audit_entries a where action like '%redential%'`);
    await db.end();
    expect(rows.length).toBeGreaterThan(10);
    expect(
      findSecretsInLogs(
        rows.map((r) => r.row as string),
        apiKeys,
      ),
    ).toEqual([]);
  });
});
