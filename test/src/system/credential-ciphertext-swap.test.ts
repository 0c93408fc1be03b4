import { randomBytes } from 'node:crypto';
import { createOrgWithMember, type OrgMember } from '@keyward/control-plane/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

/**
 * A provider secret is sealed with `orgId:credentialId` as associated data. Someone with write
 * access to PostgreSQL copies organization A's sealed secret into organization B's credential
 * row (and bumps its version so nodes reload it): the node must fail to open it and refuse B's
 * requests, never call the provider with A's secret.
 */
describe('a credential ciphertext copied to another organization', () => {
  let system: TestSystem;
  let memberB: OrgMember;
  const secretA = `sk-a-${randomBytes(12).toString('hex')}`;
  const secretB = `sk-b-${randomBytes(12).toString('hex')}`;
  let credentialA: string;
  let credentialB: string;
  let keyB: { id: string; secret: string };

  async function addCredential(member: OrgMember, apiKey: string): Promise<string> {
    const res = await member.gql<{ createCredential: { id: string } }>(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey, baseUrl: `${system.mock.url}/v1` },
    });
    if (!res.data) throw new Error(`createCredential failed: ${JSON.stringify(res.errors)}`);
    return res.data.createCredential.id;
  }

  function call(secret: string): Promise<Response> {
    return fetch(`${system.dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  /** Provider calls made with `secret`. */
  const upstreamWith = (secret: string) => system.mock.requests.filter((r) => JSON.stringify(r.headers).includes(secret)).length;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    credentialA = await addCredential(system.owner, secretA);
    memberB = await createOrgWithMember(system.cp, 'owner');
    credentialB = await addCredential(memberB, secretB);
    keyB = await system.createKey({}, memberB);
    await eventually(async () => ((await call(keyB.secret)).status === 200 ? true : undefined), 10_000, 'key B to reach the node');
  });

  afterAll(async () => {
    await system?.close();
  });

  it('refuses every request of B with a clear 502 and never sends A’s secret upstream', async () => {
    expect(upstreamWith(secretB)).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: system.cp.databaseUrl.replace(/:\d+\//, `:${new URL(inject('pgAdminUrl')).port}/`) });
    await db.connect();
    try {
      const copied = await db.query(
        `update credentials b set kek_id = a.kek_id, wrapped_key = a.wrapped_key, iv = a.iv, ciphertext = a.ciphertext, tag = a.tag,
           secret_version = b.secret_version + 1 from credentials a where a.id = $1 and b.id = $2`,
        [credentialA, credentialB],
      );
      expect(copied.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    // Any change to B's organization publishes its configuration, the copied row with it.
    await system.createKey({ name: 'trigger' }, memberB);
    const servedBefore = system.mock.requests.length;
    const first = await eventually(
      async () => {
        const res = await call(keyB.secret);
        return res.status === 200 ? undefined : res;
      },
      10_000,
      'the copied ciphertext to reach the node',
    );
    const statuses = [first.status];
    const bodies = [await first.text()];
    for (let i = 0; i < 9; i++) {
      const res = await call(keyB.secret);
      statuses.push(res.status);
      bodies.push(await res.text());
    }
    expect(statuses).toEqual(Array(10).fill(502));
    for (const body of bodies) {
      expect(JSON.parse(body).error.message).toBe('The provider credential for this key could not be unlocked.');
      expect(body).not.toContain(secretA);
    }
    expect(upstreamWith(secretA)).toBe(0);
    // Requests of B that reached the provider after the copy: only those served before the node had it.
    expect(system.mock.requests.slice(servedBefore).every((r) => JSON.stringify(r.headers).includes(secretB))).toBe(true);
    expect(system.dp.logs.filter((l) => l.includes('could not unwrap provider credential')).length).toBeGreaterThanOrEqual(10);
    for (const line of system.allLogs()) {
      expect(line).not.toContain(secretA);
      expect(line).not.toContain(secretB);
    }
  });
});
