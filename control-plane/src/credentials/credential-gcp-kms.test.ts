import { openSecret, startFakeGcpKms, type FakeGcpKms } from '@keyward/shared';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createOrgWithMember, findSecretsInLogs, type OrgMember } from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { credentialAad } from './credential.entity.js';

let fake: FakeGcpKms;
let cp: TestControlPlane;
let owner: OrgMember;

beforeAll(async () => {
  fake = await startFakeGcpKms();
  cp = await startTestControlPlane(inject('pgAdminUrl'), {
    KEYWARD_KMS: `gcp:${fake.keyName}`,
    KEYWARD_GCP_KMS_ENDPOINT: fake.url,
  });
  owner = await createOrgWithMember(cp, 'owner');
});

afterAll(async () => {
  await cp?.close();
  await fake?.close();
});

describe('credentials under Google Cloud KMS', () => {
  it('wraps the data key with Cloud KMS and decrypts it again server-side', async () => {
    const apiKey = `sk-gcp-${crypto.randomUUID()}`;
    const encryptsBefore = fake.calls.encrypt;
    const res = await owner.gql<{ createCredential: { id: string; lastFour: string; needsRewrap: boolean } }>(
      `mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id lastFour needsRewrap } }`,
      // The control plane under test allows loopback upstreams, as a local mock provider needs.
      { input: { provider: 'OPENAI_COMPATIBLE', name: 'local mock', apiKey, baseUrl: 'http://127.0.0.1:8089/v1' } },
    );
    expect(res.errors).toBeUndefined();
    const { id, lastFour, needsRewrap } = res.data!.createCredential;
    expect(lastFour).toBe(apiKey.slice(-4));
    expect(needsRewrap).toBe(false);
    expect(fake.calls.encrypt).toBe(encryptsBefore + 1);

    const sealed = cp.services.configStore.collectionsOf(owner.orgId).credentials[id].secret;
    expect(sealed.kekId).toMatch(/^gcp:/);
    const decryptsBefore = fake.calls.decrypt;
    expect(await openSecret(cp.services.kms, sealed, credentialAad(owner.orgId, id))).toBe(apiKey);
    expect(fake.calls.decrypt).toBe(decryptsBefore + 1);

    const read = await owner.gql(`query($id: ID!) { credential(id: $id) { id name lastFour } }`, { id });
    expect(JSON.stringify(read)).not.toContain(apiKey);
    expect(findSecretsInLogs(cp.logs, [apiKey])).toEqual([]);
  });
});
