import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createOrgWithOwner, expectError, expectNoSecretsInLogs, expectOk, startPlane, type TestOrg } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const SIGN_IN = 'mutation($email: String!, $password: String!) { signInWithPassword(email: $email, password: $password) { user { email } role } }';
const REQUEST_CODE = 'mutation($email: String!) { requestSignInCode(email: $email) }';
const SIGN_IN_CODE = 'mutation($email: String!, $code: String!) { signInWithCode(email: $email, code: $code) { role } }';
const SET_SSO = 'mutation($input: SsoConnectionInput!) { setSsoConnection(input: $input) { requireSso } }';
const INVITE = 'mutation($email: String!, $role: Role!) { inviteMember(email: $email, role: $role) { id } }';
const ACCEPT = 'mutation($token: String!, $name: String, $password: String) { acceptInvitation(token: $token, name: $name, password: $password) { role } }';
const AUDIT = 'query($action: String) { auditLog(filter: { action: $action }) { entries { actor action outcome args } } }';

/** An identity provider nobody calls here: requiring SSO is about the other sign-ins. */
function ssoInput(domain: string, requireSso: boolean) {
  return {
    issuer: 'http://127.0.0.1:9/realms/corp',
    clientId: 'keyward',
    clientSecret: 'client-secret-of-the-test',
    emailDomains: [domain],
    defaultRole: 'DEVELOPER',
    requireSso,
  };
}

describe('requiring single sign-on', () => {
  let cp: TestControlPlane;
  let org: TestOrg;
  const secrets: string[] = ['client-secret-of-the-test'];

  beforeAll(async () => {
    cp = await startPlane();
    org = await createOrgWithOwner(cp);
    secrets.push(org.owner.password, org.owner.session);
  });

  afterAll(async () => {
    if (!cp) return;
    expectNoSecretsInLogs(cp, secrets);
    await cp.close();
  });

  function lastCodeFor(email: string): string {
    const mail = [...(cp.services.mailer.outbox ?? [])].reverse().find((m) => m.to === email);
    const code = mail && /code is: (\d{6})/.exec(mail.text)?.[1];
    if (!code) throw new Error(`no sign-in code was sent to ${email}`);
    secrets.push(code);
    return code;
  }

  it('turns password and code sign-in off for members, saying to use SSO', async () => {
    const member = await addMember(cp, org.orgId, 'developer');
    secrets.push(member.password, member.session);
    expectOk(await cp.gql(SIGN_IN, { email: member.email, password: member.password }));
    expectOk(await cp.gql(SET_SSO, { input: ssoInput('required.example', true) }, { session: org.owner.session }));

    const byPassword = await cp.gql(SIGN_IN, { email: member.email, password: member.password });
    expectError(byPassword, 'FORBIDDEN', /requires single sign-on: choose "Sign in with SSO"/);
    expect(byPassword.errors![0].extensions!.reason).toBe('SSO_REQUIRED');
    expect(byPassword.headers.getSetCookie().join()).not.toContain('kw_session=');

    expectOk(await cp.gql(REQUEST_CODE, { email: member.email }));
    const byCode = await cp.gql(SIGN_IN_CODE, { email: member.email, code: lastCodeFor(member.email) });
    expectError(byCode, 'FORBIDDEN', /requires single sign-on/);
  });

  it('still answers a wrong password as a wrong password, so the rule reveals nothing to someone without it', async () => {
    const member = await addMember(cp, org.orgId, 'auditor');
    secrets.push(member.password, member.session);
    expectError(await cp.gql(SIGN_IN, { email: member.email, password: 'Wrong-password-1234' }), 'UNAUTHENTICATED', /email or password is incorrect/);
  });

  it('lets owners in with their password as an audited break-glass sign-in', async () => {
    const res = await cp.gql<{ signInWithPassword: { role: string } }>(SIGN_IN, { email: org.owner.email, password: org.owner.password });
    expectOk(res);
    expect(res.data!.signInWithPassword.role).toBe('OWNER');
    const audit = await cp.gql<{ auditLog: { entries: { actor: string; outcome: string; args: Record<string, unknown> }[] } }>(
      AUDIT,
      { action: 'breakGlassSignIn' },
      { session: org.owner.session },
    );
    expectOk(audit);
    expect(audit.data!.auditLog.entries).toEqual([
      expect.objectContaining({ actor: `user:${org.owner.userId}`, outcome: 'SUCCESS', args: { method: 'password' } }),
    ]);
  });

  it('makes an accepted invitation a membership but no session: the newcomer signs in with SSO', async () => {
    const invited = await cp.gql(INVITE, { email: 'newcomer@required.example', role: 'DEVELOPER' }, { session: org.owner.session });
    expectOk(invited);
    const mail = [...(cp.services.mailer.outbox ?? [])].reverse().find((m) => m.to === 'newcomer@required.example');
    const token = /accept-invitation\?token=([A-Za-z0-9_-]{43})/.exec(mail!.text)![1];
    const password = 'Violet-harbour-5678';
    secrets.push(token, password);

    const accepted = await cp.gql(ACCEPT, { token, name: 'Newcomer', password });
    expectError(accepted, 'FORBIDDEN', /^Your invitation is accepted, but your organization requires single sign-on: choose "Sign in with SSO"/);
    expect(accepted.errors![0].extensions!.reason).toBe('SSO_REQUIRED');
    expect(accepted.headers.getSetCookie().join()).not.toContain('kw_session=');
    const members = await cp.gql<{ members: { user: { email: string }; role: string }[] }>(
      '{ members { user { email } role } }',
      {},
      { session: org.owner.session },
    );
    expect(members.data!.members).toContainEqual({ user: { email: 'newcomer@required.example' }, role: 'DEVELOPER' });
    // The password the invitation set opens nothing either.
    expectError(await cp.gql(SIGN_IN, { email: 'newcomer@required.example', password }), 'FORBIDDEN', /requires single sign-on/);
  });

  it('lets members sign in with passwords again once the requirement is off', async () => {
    const member = await addMember(cp, org.orgId, 'developer');
    secrets.push(member.password, member.session);
    expectOk(await cp.gql(SET_SSO, { input: { ...ssoInput('required.example', false), clientSecret: null } }, { session: org.owner.session }));
    expectOk(await cp.gql(SIGN_IN, { email: member.email, password: member.password }));
  });
});

describe('single sign-on on a service installation', () => {
  let cp: TestControlPlane;

  beforeAll(async () => {
    cp = await startPlane({ KEYWARD_EDITION: 'service' });
  });

  afterAll(async () => {
    await cp?.close();
  });

  it('is an Enterprise-plan feature', async () => {
    const pro = await createOrgWithOwner(cp, { plan: 'pro' });
    expectError(
      await cp.gql(SET_SSO, { input: ssoInput('pro.example', false) }, { session: pro.owner.session }),
      'PLAN_REQUIRED',
      /Single sign-on is available on the Enterprise plan/,
    );
    const enterprise = await createOrgWithOwner(cp, { plan: 'enterprise' });
    expectOk(await cp.gql(SET_SSO, { input: ssoInput('enterprise.example', false) }, { session: enterprise.owner.session }));
  });

  it('makes SCIM an Enterprise-plan feature: tokens, and every request, refused on another plan', async () => {
    const CREATE_TOKEN = 'mutation($name: String!) { createScimToken(name: $name) { secret } }';
    const pro = await createOrgWithOwner(cp, { plan: 'pro' });
    expectError(await cp.gql(CREATE_TOKEN, { name: 'Okta' }, { session: pro.owner.session }), 'PLAN_REQUIRED', /Enterprise plan/);

    const enterprise = await createOrgWithOwner(cp, { plan: 'enterprise' });
    const created = await cp.gql<{ createScimToken: { secret: string } }>(CREATE_TOKEN, { name: 'Okta' }, { session: enterprise.owner.session });
    expectOk(created);
    const users = () => fetch(`${cp.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${created.data!.createScimToken.secret}` } });
    expect((await users()).status).toBe(200);

    // Moved to a plan without SCIM, the organization's token stops working.
    await cp.services.orm.em.fork().execute("update organizations set plan = 'pro' where id = ?", [enterprise.orgId]);
    const refused = await users();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403' });
  });
});
