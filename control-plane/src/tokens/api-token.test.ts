import { parseSecret } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { addMember, createApiToken, expectError, expectOk, usePlaneWithOwner, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const CREATE =
  'mutation($name: String!, $role: Role!, $exp: DateTimeISO) { createApiToken(name: $name, role: $role, expiresAt: $exp) { secret token { id name prefix role expiresAt revokedAt lastUsedAt createdBy { email } } } }';
const WHO = '{ viewer { kind role organization { id } user { email } permissions } }';

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

describe('API tokens', () => {
  it('shows the secret once, at creation, and stores only its hash and prefix', async () => {
    const res = await cp.gql<{ createApiToken: { secret: string; token: { id: string; prefix: string; role: string; createdBy: { email: string } } } }>(
      CREATE,
      { name: 'CI deploys', role: 'DEVELOPER' },
      { session: org.owner.session },
    );
    expectOk(res);
    const { secret, token } = res.data!.createApiToken;
    secrets.push(secret);
    expect(parseSecret(secret)).toEqual({ kind: 'api_token' });
    expect(secret.startsWith(token.prefix)).toBe(true);
    expect(token).toMatchObject({ role: 'DEVELOPER', createdBy: { email: org.owner.email } });

    const list = await cp.gql('{ apiTokens { id name prefix role } }', {}, { session: org.owner.session });
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(JSON.stringify(list)).toContain(token.prefix);
    const rows = await cp.services.orm.em.fork().execute('select * from api_tokens');
    expect(JSON.stringify(rows)).not.toContain(secret);
    const audit = await cp.services.orm.em.fork().execute('select * from audit_entries');
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('authenticates as the token, with its role and organization, and records when it was last used', async () => {
    const { id, secret } = await createApiToken(cp, org.owner, 'auditor');
    secrets.push(secret);
    const res = await cp.gql<{ viewer: { kind: string; role: string; organization: { id: string }; permissions: string[] } }>(WHO, {}, { token: secret });
    expectOk(res);
    expect(res.data!.viewer).toMatchObject({ kind: 'API_TOKEN', role: 'AUDITOR', organization: { id: org.orgId } });
    expect(res.data!.viewer.permissions).toContain('audit:read');
    const list = await cp.gql<{ apiTokens: { id: string; lastUsedAt: string | null }[] }>(
      '{ apiTokens { id lastUsedAt } }',
      {},
      { session: org.owner.session },
    );
    expect(list.data!.apiTokens.find((t) => t.id === id)!.lastUsedAt).not.toBeNull();
    // An auditor token can read the audit trail but cannot manage teams.
    expectOk(await cp.gql('{ auditLog { entries { id } } }', {}, { token: secret }));
    expectError(await cp.gql('mutation { createTeam(input: { name: "nope" }) { id } }', {}, { token: secret }), 'FORBIDDEN');
  });

  it('stops working the moment it is revoked', async () => {
    const { id, secret } = await createApiToken(cp, org.owner, 'developer');
    secrets.push(secret);
    expectOk(await cp.gql(WHO, {}, { token: secret }));
    const revoked = await cp.gql<{ revokeApiToken: { revokedAt: string } }>(
      'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }',
      { id },
      { session: org.owner.session },
    );
    expectOk(revoked);
    expect(revoked.data!.revokeApiToken.revokedAt).not.toBeNull();
    const after = await cp.gql(WHO, {}, { token: secret });
    expect(after.status).toBe(401);
    expectError(after, 'UNAUTHENTICATED', /unknown, revoked or expired/);
  });

  it('stops working once expired', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const res = await cp.gql<{ createApiToken: { secret: string; token: { id: string; expiresAt: string } } }>(
      CREATE,
      { name: 'short', role: 'AUDITOR', exp: soon },
      { session: org.owner.session },
    );
    expectOk(res);
    const { secret, token } = res.data!.createApiToken;
    secrets.push(secret);
    expect(new Date(token.expiresAt).toISOString()).toBe(soon);
    expectOk(await cp.gql(WHO, {}, { token: secret }));
    await cp.services.orm.em.fork().execute(`update api_tokens set expires_at = now() - interval '1 second' where id = ?`, [token.id]);
    expectError(await cp.gql(WHO, {}, { token: secret }), 'UNAUTHENTICATED');
  });

  it('refuses an expiry in the past', async () => {
    const res = await cp.gql(CREATE, { name: 'past', role: 'AUDITOR', exp: new Date(Date.now() - 1000).toISOString() }, { session: org.owner.session });
    expectError(res, 'BAD_USER_INPUT', /future/);
  });

  it('cannot have more permissions than the person creating it', async () => {
    const dev = await addMember(cp, org.orgId, 'developer');
    secrets.push(dev.password, dev.session);
    for (const role of ['OWNER', 'ADMIN', 'APPROVER', 'AUDITOR']) {
      expectError(await cp.gql(CREATE, { name: 'too much', role }, { session: dev.session }), 'FORBIDDEN', /more permissions than you/);
    }
    const ok = await cp.gql<{ createApiToken: { secret: string } }>(CREATE, { name: 'fine', role: 'DEVELOPER' }, { session: dev.session });
    expectOk(ok);
    secrets.push(ok.data!.createApiToken.secret);
  });

  it('stops working when its creator is demoted below its role or leaves', async () => {
    const admin = await addMember(cp, org.orgId, 'admin');
    secrets.push(admin.password, admin.session);
    const adminToken = await createApiToken(cp, admin, 'admin');
    const devToken = await createApiToken(cp, admin, 'developer');
    secrets.push(adminToken.secret, devToken.secret);
    expectOk(await cp.gql(WHO, {}, { token: adminToken.secret }));

    expectOk(
      await cp.gql('mutation($m: ID!) { changeMemberRole(memberId: $m, role: DEVELOPER) { role } }', { m: admin.memberId }, { session: org.owner.session }),
    );
    expectError(await cp.gql(WHO, {}, { token: adminToken.secret }), 'UNAUTHENTICATED');
    expectOk(await cp.gql(WHO, {}, { token: devToken.secret }));

    expectOk(await cp.gql('mutation($m: ID!) { removeMember(memberId: $m) }', { m: admin.memberId }, { session: org.owner.session }));
    expectError(await cp.gql(WHO, {}, { token: devToken.secret }), 'UNAUTHENTICATED');
  });

  it('cannot mint more API tokens itself', async () => {
    const { secret } = await createApiToken(cp, org.owner, 'owner');
    secrets.push(secret);
    expectError(await cp.gql(CREATE, { name: 'child', role: 'AUDITOR' }, { token: secret }), 'FORBIDDEN', /signed in to the console/);
  });

  it("lists a developer's own tokens only, and lets them revoke only those", async () => {
    const dev = await addMember(cp, org.orgId, 'developer');
    secrets.push(dev.password, dev.session);
    const mine = await createApiToken(cp, dev, 'developer');
    const ownerToken = await createApiToken(cp, org.owner, 'developer');
    secrets.push(mine.secret, ownerToken.secret);
    const list = await cp.gql<{ apiTokens: { id: string }[] }>('{ apiTokens { id } }', {}, { session: dev.session });
    expect(list.data!.apiTokens.map((t) => t.id)).toEqual([mine.id]);
    expectError(await cp.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: ownerToken.id }, { session: dev.session }), 'NOT_FOUND');
    expectOk(await cp.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: mine.id }, { session: dev.session }));
  });

  it('rejects a malformed or unknown bearer token with 401 and no detail', async () => {
    const bad = await cp.gql(WHO, {}, { token: 'kwt_not-a-real-token' });
    expect(bad.status).toBe(401);
    expectError(bad, 'UNAUTHENTICATED', /not hold a valid Keyward token/);
    const unknown = await cp.gql(WHO, {}, { headers: { authorization: 'Bearer kwt_' } });
    expectError(unknown, 'UNAUTHENTICATED');
  });
});
