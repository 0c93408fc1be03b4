import { describe, expect, it } from 'vitest';
import {
  addMember,
  createOrgWithOwner,
  expectError,
  expectOk,
  sessionCookieOf,
  startPlane,
  strongPassword,
  uniqueWord,
  usePlaneWithOwner,
  type TestOrg,
} from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const INVITE = 'mutation($email: String!, $role: Role!) { inviteMember(email: $email, role: $role) { id email role status expiresAt invitedBy { email } } }';
const ACCEPT =
  'mutation($token: String!, $name: String, $password: String) { acceptInvitation(token: $token, name: $name, password: $password) { user { email name } role organization { id } } }';

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

async function invite(email: string, role = 'DEVELOPER', session = org.owner.session) {
  const res = await cp.gql<{ inviteMember: { id: string; status: string; role: string; invitedBy: { email: string }; expiresAt: string } }>(
    INVITE,
    { email, role },
    { session },
  );
  expectOk(res);
  return { ...res.data!.inviteMember, token: linkTokenFor(email.toLowerCase()) };
}

function linkTokenFor(email: string): string {
  const mail = [...cp.services.mailer.outbox!].reverse().find((m) => m.to === email);
  const token = mail && /accept-invitation\?token=([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no invitation mail to ${email}`);
  secrets.push(token);
  return token;
}

describe('invitations', () => {
  it('emails a single-use link valid for seven days, and lists the invitation as pending', async () => {
    const email = `${uniqueWord('new')}@example.test`;
    const inv = await invite(email.toUpperCase(), 'DEVELOPER');
    expect(inv).toMatchObject({ status: 'PENDING', role: 'DEVELOPER', invitedBy: { email: org.owner.email } });
    const days = (new Date(inv.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    const mail = cp.services.mailer.outbox!.at(-1)!;
    expect(mail.to).toBe(email);
    expect(mail.text).toContain(`${cp.config.publicUrl}/accept-invitation?token=`);
    const list = await cp.gql<{ invitations: { id: string; email: string }[] }>('{ invitations { id email status } }', {}, { session: org.owner.session });
    expect(list.data!.invitations.map((i) => i.id)).toContain(inv.id);
    expect(JSON.stringify(list)).not.toContain(inv.token);
    const rows = await cp.services.orm.em.fork().execute('select * from invitations');
    expect(JSON.stringify(rows)).not.toContain(inv.token);
  });

  it('creates the account on acceptance, signs the person in to the organization, and works only once', async () => {
    const email = `${uniqueWord('joiner')}@example.test`;
    const inv = await invite(email, 'APPROVER');
    const password = strongPassword();
    secrets.push(password);
    const res = await cp.gql<{ acceptInvitation: { user: { email: string; name: string }; role: string; organization: { id: string } } }>(ACCEPT, {
      token: inv.token,
      name: 'Joiner',
      password,
    });
    expectOk(res);
    expect(res.data!.acceptInvitation).toEqual({ user: { email, name: 'Joiner' }, role: 'APPROVER', organization: { id: org.orgId } });
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    expect((await cp.gql<{ viewer: { role: string } }>('{ viewer { role } }', {}, { session })).data!.viewer.role).toBe('APPROVER');
    const signIn = await cp.gql('mutation($e: String!, $p: String!) { signInWithPassword(email: $e, password: $p) { role } }', { e: email, p: password });
    expectOk(signIn);
    secrets.push(sessionCookieOf(signIn)!);
    const again = await cp.gql(ACCEPT, { token: inv.token, name: 'Joiner' });
    expectError(again, 'UNAUTHENTICATED', /wrong, used or revoked/);
    const list = await cp.gql<{ invitations: { id: string; status: string }[] }>('{ invitations { id status } }', {}, { session: org.owner.session });
    expect(list.data!.invitations.find((i) => i.id === inv.id)!.status).toBe('ACCEPTED');
  });

  it('adds an existing account to the organization without touching its password', async () => {
    const other = await createOrgWithOwner(cp);
    secrets.push(other.owner.password, other.owner.session);
    const inv = await invite(other.owner.email, 'AUDITOR');
    const withPassword = await cp.gql(ACCEPT, { token: inv.token, password: strongPassword() });
    expectError(withPassword, 'BAD_USER_INPUT', /already have an account/);
    const res = await cp.gql<{ acceptInvitation: { role: string; organization: { id: string } } }>(ACCEPT, { token: inv.token });
    expectOk(res);
    expect(res.data!.acceptInvitation).toMatchObject({ role: 'AUDITOR', organization: { id: org.orgId } });
    secrets.push(sessionCookieOf(res)!);
    expectOk(
      await cp.gql('mutation($e: String!, $p: String!) { signInWithPassword(email: $e, password: $p) { role } }', {
        e: other.owner.email,
        p: other.owner.password,
      }),
    );
  });

  it('needs a name for a new account and applies the password policy', async () => {
    const inv = await invite(`${uniqueWord('nameless')}@example.test`);
    const noName = await cp.gql(ACCEPT, { token: inv.token });
    expectError(noName, 'BAD_USER_INPUT', /name is required/);
    const weak = await cp.gql(ACCEPT, { token: inv.token, name: 'N', password: 'short1' });
    expectError(weak, 'BAD_USER_INPUT', /at least 12 characters/);
    // Neither failure used the invitation up.
    expectOk(await cp.gql(ACCEPT, { token: inv.token, name: 'Named' }));
  });

  it('refuses an expired invitation with its own reason', async () => {
    const inv = await invite(`${uniqueWord('late')}@example.test`);
    await cp.services.orm.em.fork().execute(`update invitations set expires_at = now() - interval '1 second' where id = ?`, [inv.id]);
    const res = await cp.gql(ACCEPT, { token: inv.token, name: 'Late' });
    expectError(res, 'UNAUTHENTICATED', /expired/);
    expect(res.errors![0].extensions!.reason).toBe('INVITATION_EXPIRED');
    const list = await cp.gql<{ invitations: { id: string; status: string }[] }>('{ invitations { id status } }', {}, { session: org.owner.session });
    expect(list.data!.invitations.find((i) => i.id === inv.id)!.status).toBe('EXPIRED');
  });

  it('refuses a revoked invitation, and a new invitation to the same address replaces the old one', async () => {
    const email = `${uniqueWord('twice')}@example.test`;
    const first = await invite(email);
    const revoked = await cp.gql<{ revokeInvitation: { status: string } }>(
      'mutation($id: ID!) { revokeInvitation(id: $id) { status } }',
      { id: first.id },
      { session: org.owner.session },
    );
    expect(revoked.data!.revokeInvitation.status).toBe('REVOKED');
    expectError(await cp.gql(ACCEPT, { token: first.token, name: 'X' }), 'UNAUTHENTICATED');

    const second = await invite(email);
    const third = await invite(email);
    expectError(await cp.gql(ACCEPT, { token: second.token, name: 'X' }), 'UNAUTHENTICATED');
    expectOk(await cp.gql(ACCEPT, { token: third.token, name: 'X' }));
    expectError(
      await cp.gql('mutation($id: ID!) { revokeInvitation(id: $id) { status } }', { id: third.id }, { session: org.owner.session }),
      'CONFLICT',
      /already accepted/,
    );
  });

  it("cannot offer a role above the inviter's", async () => {
    const admin = await addMember(cp, org.orgId, 'admin');
    secrets.push(admin.password, admin.session);
    expectError(await cp.gql(INVITE, { email: 'x@example.test', role: 'OWNER' }, { session: admin.session }), 'FORBIDDEN', /more permissions than you/);
    expectOk(await cp.gql(INVITE, { email: 'y@example.test', role: 'ADMIN' }, { session: admin.session }));
    const dev = await addMember(cp, org.orgId, 'developer');
    secrets.push(dev.password, dev.session);
    expectError(await cp.gql(INVITE, { email: 'z@example.test', role: 'DEVELOPER' }, { session: dev.session }), 'FORBIDDEN', /members:manage/);
  });

  it('refuses to invite someone who is already a member', async () => {
    const member = await addMember(cp, org.orgId, 'auditor');
    secrets.push(member.password, member.session);
    expectError(await cp.gql(INVITE, { email: member.email, role: 'AUDITOR' }, { session: org.owner.session }), 'CONFLICT', /already a member/);
  });

  it('refuses a malformed token and an unknown one alike', async () => {
    expectError(await cp.gql(ACCEPT, { token: 'nope', name: 'X' }), 'UNAUTHENTICATED', /wrong, used or revoked/);
    expectError(await cp.gql(ACCEPT, { token: 'A'.repeat(43), name: 'X' }), 'UNAUTHENTICATED', /wrong, used or revoked/);
  });
});

describe('invitations in production without SMTP', () => {
  it('are refused with a clear error instead of printing the link anywhere', async () => {
    const prod = await startPlane({ NODE_ENV: 'production' });
    try {
      const o = await createOrgWithOwner(prod);
      secrets.push(o.owner.password, o.owner.session);
      const res = await prod.gql(INVITE, { email: 'p@example.test', role: 'AUDITOR' }, { session: o.owner.session });
      expect(res.errors![0].message).toMatch(/Email is not configured on this server \(set SMTP_URL\)/);
      expect(res.errors![0].extensions!.reason).toBe('EMAIL_NOT_CONFIGURED');
      const code = await prod.gql('mutation { requestSignInCode(email: "p@example.test") }');
      expect(code.errors![0].extensions!.reason).toBe('EMAIL_NOT_CONFIGURED');
    } finally {
      await prod.close();
    }
  });
});
