import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

let cp: TestControlPlane;
let org: TestOrg;
const secrets: string[] = [];

beforeAll(async () => {
  cp = await startPlane();
  org = await createOrgWithOwner(cp);
  secrets.push(org.owner.password, org.owner.session);
});

afterAll(async () => {
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

function publicKey(): string {
  return generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
}

const ADD = `mutation($input: AddTrustedIssuerInput!) { addTrustedIssuer(input: $input) { id kid name publicKey agentId createdAt } }`;
const LIST = '{ trustedIssuers { kid publicKey agentId name } }';

describe('trusted HDP issuers', () => {
  it('are added, listed by kid, pushed to the nodes in the organization config, and removed with an audit entry each', async () => {
    const issuerKey = publicKey();
    const agentKey = publicKey();
    const issuer = await cp.gql<{ addTrustedIssuer: { id: string } }>(
      ADD,
      { input: { name: 'Identity provider', kid: 'idp-v1', publicKey: issuerKey } },
      { session: org.owner.session },
    );
    expectOk(issuer);
    expectOk(
      await cp.gql(
        ADD,
        { input: { name: 'Report agent', kid: 'agent-report', publicKey: agentKey, agentId: 'report-writer' } },
        { session: org.owner.session },
      ),
    );

    const list = await cp.gql<{ trustedIssuers: unknown[] }>(LIST, {}, { session: org.owner.session });
    expect(list.data!.trustedIssuers).toEqual([
      { kid: 'agent-report', publicKey: agentKey, agentId: 'report-writer', name: 'Report agent' },
      { kid: 'idp-v1', publicKey: issuerKey, agentId: null, name: 'Identity provider' },
    ]);
    expect(cp.services.configStore.collectionsOf(org.orgId).orgs[org.orgId]!.hdpTrustedKeys).toEqual([
      { kid: 'agent-report', publicKey: agentKey, agentId: 'report-writer' },
      { kid: 'idp-v1', publicKey: issuerKey, agentId: null },
    ]);

    const removed = await cp.gql<{ removeTrustedIssuer: string }>(
      'mutation($id: ID!) { removeTrustedIssuer(id: $id) }',
      { id: issuer.data!.addTrustedIssuer.id },
      { session: org.owner.session },
    );
    expect(removed.data!.removeTrustedIssuer).toBe(issuer.data!.addTrustedIssuer.id);
    expect(cp.services.configStore.collectionsOf(org.orgId).orgs[org.orgId]!.hdpTrustedKeys).toEqual([
      { kid: 'agent-report', publicKey: agentKey, agentId: 'report-writer' },
    ]);

    const audit = await cp.gql<{ auditLog: { entries: { action: string; outcome: string; args: Record<string, unknown> }[] } }>(
      '{ auditLog(paging: { first: 10 }) { entries { action outcome args } } }',
      {},
      { session: org.owner.session },
    );
    expect(audit.data!.auditLog.entries.map((e) => [e.action, e.outcome])).toEqual([
      ['removeTrustedIssuer', 'SUCCESS'],
      ['addTrustedIssuer', 'SUCCESS'],
      ['addTrustedIssuer', 'SUCCESS'],
    ]);
    expect(audit.data!.auditLog.entries[2]!.args).toMatchObject({ input: { kid: 'idp-v1', publicKey: issuerKey } });
  });

  it('refuse a key that is not a 32-byte Ed25519 public key, a kid already trusted, and unknown ids', async () => {
    expectError(
      await cp.gql(ADD, { input: { name: 'Bad', kid: 'bad', publicKey: 'not-a-key' } }, { session: org.owner.session }),
      'BAD_USER_INPUT',
      /base64url of 32 bytes/,
    );
    const key = publicKey();
    expectOk(await cp.gql(ADD, { input: { name: 'Once', kid: 'twice', publicKey: key } }, { session: org.owner.session }));
    expectError(
      await cp.gql(ADD, { input: { name: 'Twice', kid: 'twice', publicKey: publicKey() } }, { session: org.owner.session }),
      'CONFLICT',
      /kid "twice" already exists/,
    );
    expectError(await cp.gql('mutation { removeTrustedIssuer(id: "00000000-0000-4000-8000-000000000000") }', {}, { session: org.owner.session }), 'NOT_FOUND');
  });

  it('are managed by owners and admins only, and stay inside their organization', async () => {
    const dev = await addMember(cp, org.orgId, 'developer');
    secrets.push(dev.password, dev.session);
    expectError(await cp.gql(ADD, { input: { name: 'Dev', kid: 'dev', publicKey: publicKey() } }, { session: dev.session }), 'FORBIDDEN');
    const other = await createOrgWithOwner(cp);
    secrets.push(other.owner.password, other.owner.session);
    const list = await cp.gql<{ trustedIssuers: unknown[] }>(LIST, {}, { session: other.owner.session });
    expect(list.data!.trustedIssuers).toEqual([]);
  });
});

describe('keys that require provenance', () => {
  it('carry requireProvenance in the API and in the node config', async () => {
    const created = await cp.gql<{ createKey: { key: { id: string; requireProvenance: boolean } } }>(
      'mutation { createKey(input: { name: "agent", ownerLabel: "agent", requireProvenance: true }) { key { id requireProvenance } secret } }',
      {},
      { session: org.owner.session },
    );
    expectOk(created);
    expect(created.data!.createKey.key.requireProvenance).toBe(true);
    const compiled = () => Object.values(cp.services.configStore.collectionsOf(org.orgId).keys).find((k) => k.id === created.data!.createKey.key.id);
    expect(compiled()).toMatchObject({ requireProvenance: true });
    const updated = await cp.gql<{ updateKey: { requireProvenance: boolean } }>(
      'mutation($id: ID!) { updateKey(id: $id, input: { requireProvenance: false }) { requireProvenance } }',
      { id: created.data!.createKey.key.id },
      { session: org.owner.session },
    );
    expect(updated.data!.updateKey.requireProvenance).toBe(false);
    expect(compiled()?.requireProvenance).toBeUndefined();
  });
});
