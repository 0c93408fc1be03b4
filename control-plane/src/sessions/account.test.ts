import { describe, expect, it } from 'vitest';
import {
  addMember,
  createApiToken,
  expectError,
  expectOk,
  newSession,
  strongPassword,
  usePlaneWithOwner,
  type TestOrg,
  type TestPerson,
} from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

const ACCOUNT = '{ account { user { email name } hasPassword canSetFirstPassword sessions { id current userAgent } } }';
const CHANGE = 'mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const SIGN_IN = 'mutation($email: String!, $password: String!) { signInWithPassword(email: $email, password: $password) { user { email } } }';
const VIEWER = '{ viewer { user { email } } }';

interface AccountAnswer {
  account: {
    user: { email: string; name: string };
    hasPassword: boolean;
    canSetFirstPassword: boolean;
    sessions: { id: string; current: boolean; userAgent: string }[];
  };
}

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

async function person(): Promise<TestPerson> {
  const p = await addMember(cp, org.orgId, 'developer');
  secrets.push(p.password, p.session);
  return p;
}

/** A person who has only ever signed in with codes or links: no password yet. */
async function personWithoutPassword(): Promise<TestPerson> {
  const p = await person();
  await cp.services.orm.em.fork().execute('update users set password_hash = null where id = ?', [p.userId]);
  return p;
}

async function accountOf(session: string): Promise<AccountAnswer['account']> {
  const res = await cp.gql<AccountAnswer>(ACCOUNT, {}, { session });
  expectOk(res);
  return res.data!.account;
}

/** Who a session cookie signs in as; null once the session ended. */
async function viewerOf(session: string): Promise<unknown> {
  const res = await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session });
  expectOk(res);
  return res.data!.viewer;
}

describe('your account', () => {
  it('shows who you are, that you have a password, and every browser you are signed in on', async () => {
    const p = await person();
    const other = await newSession(cp, p.userId, org.orgId);
    secrets.push(other);
    const account = await accountOf(p.session);
    expect(account.user.email).toBe(p.email);
    expect(account.hasPassword).toBe(true);
    expect(account.canSetFirstPassword).toBe(false);
    expect(account.sessions).toHaveLength(2);
    expect(account.sessions.filter((s) => s.current)).toHaveLength(1);
  });

  it('renames you, and refuses a blank name', async () => {
    const p = await person();
    expectOk(await cp.gql('mutation { updateAccount(name: "  Robin Approver ") { name } }', {}, { session: p.session }));
    expect((await accountOf(p.session)).user.name).toBe('Robin Approver');
    expectError(await cp.gql('mutation { updateAccount(name: "   ") { name } }', {}, { session: p.session }), 'BAD_USER_INPUT', /blank/);
  });

  it('lets a person who signed in with a code just now set a first password without a current one, then sign in with it', async () => {
    const p = await personWithoutPassword();
    expect(await accountOf(p.session)).toMatchObject({ hasPassword: false, canSetFirstPassword: true });
    const password = strongPassword();
    secrets.push(password);
    expectOk(await cp.gql(CHANGE, { n: password }, { session: p.session }));
    expect((await accountOf(p.session)).hasPassword).toBe(true);
    expectOk(await cp.gql(SIGN_IN, { email: p.email, password }));
    // From now on the current password is required.
    expectError(await cp.gql(CHANGE, { n: strongPassword() }, { session: p.session }), 'BAD_USER_INPUT', /current password is incorrect/);
  });

  it('refuses a first password from a session that signed in long ago', async () => {
    const p = await personWithoutPassword();
    await cp.services.orm.em.fork().execute(`update sessions set created_at = now() - interval '16 minutes' where user_id = ?`, [p.userId]);
    expect((await accountOf(p.session)).canSetFirstPassword).toBe(false);
    const res = await cp.gql(CHANGE, { n: strongPassword() }, { session: p.session });
    expectError(res, 'FORBIDDEN', /sign in again/);
    expect(res.errors![0]!.extensions!.reason).toBe('RECENT_SIGN_IN_REQUIRED');
    expect((await accountOf(p.session)).hasPassword).toBe(false);
  });

  it('signs one other browser out, and only your own', async () => {
    const p = await person();
    const laptop = await newSession(cp, p.userId, org.orgId);
    secrets.push(laptop);
    const laptopId = (await accountOf(laptop)).sessions.find((s) => s.current)!.id;
    const stranger = await person();
    expectError(await cp.gql('mutation($id: ID!) { signOutSession(id: $id) }', { id: laptopId }, { session: stranger.session }), 'NOT_FOUND');
    expect(await viewerOf(laptop)).not.toBeNull();

    expectOk(await cp.gql('mutation($id: ID!) { signOutSession(id: $id) }', { id: laptopId }, { session: p.session }));
    expect(await viewerOf(laptop)).toBeNull();
    expect(await viewerOf(p.session)).not.toBeNull();
  });

  it('signs every other browser out at once and keeps this one', async () => {
    const p = await person();
    const others = [await newSession(cp, p.userId, org.orgId), await newSession(cp, p.userId, org.orgId)];
    secrets.push(...others);
    const res = await cp.gql<{ signOutOtherSessions: number }>('mutation { signOutOtherSessions }', {}, { session: p.session });
    expectOk(res);
    expect(res.data!.signOutOtherSessions).toBe(2);
    for (const session of others) expect(await viewerOf(session)).toBeNull();
    expect((await accountOf(p.session)).sessions).toHaveLength(1);
  });

  it('is for people at the console only, not API tokens', async () => {
    const token = await createApiToken(cp, org.owner);
    secrets.push(token.secret);
    expectError(await cp.gql(ACCOUNT, {}, { token: token.secret }), 'FORBIDDEN', /signed in to the console/);
    expectError(await cp.gql('mutation { signOutOtherSessions }', {}, { token: token.secret }), 'FORBIDDEN');
  });
});

describe('changing your email', () => {
  const REQUEST = 'mutation($e: String!, $p: String) { requestEmailChange(newEmail: $e, currentPassword: $p) }';
  const CONFIRM = 'mutation($c: String!) { confirmEmailChange(code: $c) { email } }';

  function codeSentTo(email: string): string {
    const mail = [...(cp.services.mailer.outbox ?? [])].reverse().find((m) => m.to === email);
    const code = mail && /confirmation code is: (\d{6})/.exec(mail.text)?.[1];
    if (!code) throw new Error(`no confirmation code was sent to ${email}`);
    secrets.push(code);
    return code;
  }

  it('sends a code to the new address, changes the email once it comes back, and tells the old address', async () => {
    const p = await person();
    const laptop = await newSession(cp, p.userId, org.orgId);
    secrets.push(laptop);
    const next = `moved-${Date.now()}@example.test`;
    expectOk(await cp.gql(REQUEST, { e: next.toUpperCase(), p: p.password }, { session: p.session }));
    const code = codeSentTo(next);
    // Nothing changed yet: the old address still signs in.
    expect((await accountOf(p.session)).user.email).toBe(p.email);

    const wrong = code === '000000' ? '111111' : '000000';
    expectError(await cp.gql(CONFIRM, { c: wrong }, { session: p.session }), 'BAD_USER_INPUT', /wrong, used or expired/);
    const res = await cp.gql<{ confirmEmailChange: { email: string } }>(CONFIRM, { c: code }, { session: p.session });
    expectOk(res);
    expect(res.data!.confirmEmailChange.email).toBe(next);
    expectOk(await cp.gql(SIGN_IN, { email: next, password: p.password }));
    expectError(await cp.gql(SIGN_IN, { email: p.email, password: p.password }), 'UNAUTHENTICATED');
    expect(await viewerOf(laptop)).toBeNull();
    const notice = cp.services.mailer.outbox!.find((m) => m.to === p.email && /was changed/.test(m.subject));
    expect(notice?.text).toContain(next);
    // The code works once.
    expectError(await cp.gql(CONFIRM, { c: code }, { session: p.session }), 'BAD_USER_INPUT');
  });

  it('needs the current password, and refuses an address another account uses', async () => {
    const p = await person();
    const other = await person();
    expectError(await cp.gql(REQUEST, { e: 'fresh@example.test', p: 'not-it' }, { session: p.session }), 'BAD_USER_INPUT', /current password is incorrect/);
    expectError(await cp.gql(REQUEST, { e: other.email, p: p.password }, { session: p.session }), 'CONFLICT', /Another account/);
    expectError(await cp.gql(REQUEST, { e: p.email, p: p.password }, { session: p.session }), 'BAD_USER_INPUT', /already your email/);
  });

  it('lets a person without a password change it only right after signing in', async () => {
    const p = await personWithoutPassword();
    await cp.services.orm.em.fork().execute(`update sessions set created_at = now() - interval '16 minutes' where user_id = ?`, [p.userId]);
    expectError(await cp.gql(REQUEST, { e: `late-${Date.now()}@example.test` }, { session: p.session }), 'FORBIDDEN', /sign in again/);
    const fresh = await newSession(cp, p.userId, org.orgId);
    secrets.push(fresh);
    const next = `early-${Date.now()}@example.test`;
    expectOk(await cp.gql(REQUEST, { e: next }, { session: fresh }));
    expectOk(await cp.gql(CONFIRM, { c: codeSentTo(next) }, { session: fresh }));
  });

  it('stops a code after five wrong guesses', async () => {
    const p = await person();
    const next = `guessed-${Date.now()}@example.test`;
    expectOk(await cp.gql(REQUEST, { e: next, p: p.password }, { session: p.session }));
    const code = codeSentTo(next);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expectError(await cp.gql(CONFIRM, { c: wrong }, { session: p.session }), 'BAD_USER_INPUT');
    expectError(await cp.gql(CONFIRM, { c: code }, { session: p.session }), 'BAD_USER_INPUT', /wrong, used or expired/);
  });
});
