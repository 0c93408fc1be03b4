import { describe, expect, it } from 'vitest';
import { hashClientAddress } from '../http/client-address.js';
import { addMember, createApiToken, expectError, expectOk, strongPassword, usePlaneWithOwner, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const LOG = `query($filter: AuditLogFilter, $paging: PageInput) {
  auditLog(filter: $filter, paging: $paging) { nextCursor entries { id createdAt actor action targetId outcome errorCode args ipHash userAgent requestId } }
}`;

interface Entry {
  id: string;
  actor: string;
  action: string;
  targetId: string | null;
  outcome: string;
  errorCode: string | null;
  args: Record<string, unknown>;
  ipHash: string;
  userAgent: string;
  requestId: string;
}

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

async function entries(filter: Record<string, unknown> = {}, session = org.owner.session): Promise<Entry[]> {
  const res = await cp.gql<{ auditLog: { entries: Entry[] } }>(LOG, { filter, paging: { first: 200 } }, { session });
  expectOk(res);
  return res.data!.auditLog.entries;
}

describe('the audit trail', () => {
  it('records who did what to which object, when, from where, and that it worked', async () => {
    const res = await cp.gql<{ createTeam: { id: string } }>(
      'mutation { createTeam(input: { name: "Audited" }) { id } }',
      {},
      { session: org.owner.session, headers: { 'user-agent': 'audit-test/1.0', 'x-request-id': 'req-audit-0001' } },
    );
    const teamId = res.data!.createTeam.id;
    const [entry] = await entries({ action: 'createTeam' });
    expect(entry).toMatchObject({
      actor: `user:${org.owner.userId}`,
      action: 'createTeam',
      targetId: teamId,
      outcome: 'SUCCESS',
      errorCode: null,
      args: { input: { name: 'Audited' } },
      ipHash: hashClientAddress('127.0.0.1', cp.config.hashSalt),
      userAgent: 'audit-test/1.0',
      requestId: 'req-audit-0001',
    });
    expect(JSON.stringify(entry)).not.toContain('127.0.0.1');
  });

  it('records refused attempts, with the error code', async () => {
    const dev = await addMember(cp, org.orgId, 'developer');
    secrets.push(dev.password, dev.session);
    expectError(await cp.gql('mutation { createTeam(input: { name: "Refused" }) { id } }', {}, { session: dev.session }), 'FORBIDDEN');
    expectError(await cp.gql('mutation { deleteTeam(id: "00000000-0000-4000-8000-000000000000") }', {}, { session: org.owner.session }), 'NOT_FOUND');
    expectError(await cp.gql('mutation { createTeam(input: { name: " " }) { id } }', {}, { session: org.owner.session }), 'BAD_USER_INPUT');
    const failures = await entries({ outcome: 'FAILURE' });
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: `user:${dev.userId}`, action: 'createTeam', errorCode: 'FORBIDDEN', args: { input: { name: 'Refused' } } }),
        expect.objectContaining({ action: 'deleteTeam', errorCode: 'NOT_FOUND', targetId: '00000000-0000-4000-8000-000000000000' }),
        expect.objectContaining({ action: 'createTeam', errorCode: 'BAD_USER_INPUT' }),
      ]),
    );
  });

  it('names API tokens as the actor and keeps every secret out of the arguments', async () => {
    const token = await createApiToken(cp, org.owner, 'admin');
    secrets.push(token.secret);
    await cp.gql('mutation { createTeam(input: { name: "By token" }) { id } }', {}, { token: token.secret });
    const [byToken] = await entries({ actor: `token:${token.id}` });
    expect(byToken).toMatchObject({ action: 'createTeam', outcome: 'SUCCESS' });

    const next = strongPassword();
    secrets.push(next);
    await cp.gql(
      'mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
      { c: org.owner.password, n: next },
      { session: org.owner.session },
    );
    const [created] = await entries({ action: 'createApiToken' });
    const [changed] = await entries({ action: 'changePassword' });
    expect(created.targetId).toBe(token.id);
    expect(changed.args).toEqual({ currentPassword: '[redacted]', newPassword: '[redacted]' });
    const all = JSON.stringify(await cp.services.orm.em.fork().execute('select * from audit_entries'));
    for (const s of secrets) expect(all).not.toContain(s);
    org = { ...org, owner: { ...org.owner, password: next } };
  });

  it('names the created object, not an id it was given, as the target', async () => {
    const team = await cp.gql<{ createTeam: { id: string } }>(
      'mutation { createTeam(input: { name: "Key owners" }) { id } }',
      {},
      { session: org.owner.session },
    );
    expectOk(team);
    const res = await cp.gql<{ createKey: { key: { id: string }; secret: string } }>(
      'mutation($t: ID!) { createKey(input: { name: "team key", ownerLabel: "bot", teamId: $t, allowedModels: [] }) { key { id } secret } }',
      { t: team.data!.createTeam.id },
      { session: org.owner.session },
    );
    expectOk(res);
    secrets.push(res.data!.createKey.secret);
    const [entry] = await entries({ action: 'createKey' });
    expect(entry.targetId).toBe(res.data!.createKey.key.id);
  });

  it("audits other domains' mutations too, without their secrets", async () => {
    const apiKey = `sk-audit-${'x'.repeat(24)}`;
    secrets.push(apiKey);
    const res = await cp.gql<{ createCredential: { id: string } }>(
      'mutation($k: String!) { createCredential(input: { provider: OPENAI, name: "Audited credential", apiKey: $k }) { id } }',
      { k: apiKey },
      { session: org.owner.session },
    );
    expectOk(res);
    const [entry] = await entries({ action: 'createCredential' });
    expect(entry).toMatchObject({ targetId: res.data!.createCredential.id, outcome: 'SUCCESS' });
    expect(entry.args).toMatchObject({ input: { provider: 'openai', name: 'Audited credential', apiKey: '[redacted]' } });
    const all = JSON.stringify(await cp.services.orm.em.fork().execute('select * from audit_entries'));
    expect(all).not.toContain(apiKey);
  });

  it('records sign-ins, naming the person who signed in even though the caller started anonymous', async () => {
    await cp.gql('mutation($e: String!, $p: String!) { signInWithPassword(email: $e, password: $p) { role } }', { e: org.owner.email, p: org.owner.password });
    await cp.gql('mutation($e: String!, $p: String!) { signInWithPassword(email: $e, password: $p) { role } }', { e: org.owner.email, p: 'Wrong-password-1' });
    const signIns = await entries({ action: 'signInWithPassword' });
    expect(signIns).toEqual([
      expect.objectContaining({ actor: `user:${org.owner.userId}`, outcome: 'SUCCESS', args: { email: org.owner.email, password: '[redacted]' } }),
    ]);
    // The failed attempt belongs to no organization: it is kept, but no organization can read it.
    const rows = await cp.services.orm.em
      .fork()
      .execute(`select actor, organization_id from audit_entries where action = 'signInWithPassword' and outcome = 'failure'`);
    expect(rows).toEqual([{ actor: 'anonymous', organization_id: null }]);
  });

  it('pages newest first with a cursor and filters by time', async () => {
    for (let i = 0; i < 5; i++) await cp.gql(`mutation { createTeam(input: { name: "Page ${i}" }) { id } }`, {}, { session: org.owner.session });
    const first = await cp.gql<{ auditLog: { nextCursor: string; entries: Entry[] } }>(LOG, { paging: { first: 3 } }, { session: org.owner.session });
    const second = await cp.gql<{ auditLog: { nextCursor: string | null; entries: Entry[] } }>(
      LOG,
      { paging: { first: 3, after: first.data!.auditLog.nextCursor } },
      { session: org.owner.session },
    );
    expect(first.data!.auditLog.entries.map((e) => e.args)).toEqual([
      { input: { name: 'Page 4' } },
      { input: { name: 'Page 3' } },
      { input: { name: 'Page 2' } },
    ]);
    expect(second.data!.auditLog.entries.map((e) => e.args).slice(0, 2)).toEqual([{ input: { name: 'Page 1' } }, { input: { name: 'Page 0' } }]);
    expect(await entries({ since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expectError(await cp.gql(LOG, { paging: { after: 'garbage' } }, { session: org.owner.session }), 'BAD_USER_INPUT', /cursor/);
    expectError(await cp.gql(LOG, { paging: { first: 1000 } }, { session: org.owner.session }), 'BAD_USER_INPUT', /first/);
  });

  it('is readable by owners, admins and auditors only', async () => {
    for (const role of ['admin', 'auditor'] as const) {
      const p = await addMember(cp, org.orgId, role);
      secrets.push(p.password, p.session);
      expect((await entries({}, p.session)).length).toBeGreaterThan(0);
    }
    for (const role of ['developer', 'approver'] as const) {
      const p = await addMember(cp, org.orgId, role);
      secrets.push(p.password, p.session);
      expectError(await cp.gql(LOG, {}, { session: p.session }), 'FORBIDDEN', /audit:read/);
    }
  });

  it('cannot be changed or deleted, even with direct database access', async () => {
    const em = cp.services.orm.em.fork();
    await expect(em.execute(`update audit_entries set actor = 'someone-else'`)).rejects.toThrow(/append-only/);
    await expect(em.execute(`delete from audit_entries`)).rejects.toThrow(/append-only/);
  });
});
