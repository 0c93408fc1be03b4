import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startControlPlane } from '../server.js';
import { gqlRequest, type TestControlPlane } from '../testing/test-control-plane.js';
import { addMember, createOrgWithOwner, expectError, expectOk, sessionCookieOf, strongPassword, usePlaneWithOwner, type TestOrg } from '../testing/fixtures.js';

const SIGN_IN =
  'mutation($email: String!, $password: String!) { signInWithPassword(email: $email, password: $password) { user { email } role organization { id } } }';
const REQUEST_CODE = 'mutation($email: String!) { requestSignInCode(email: $email) }';
const SIGN_IN_CODE = 'mutation($email: String!, $code: String!) { signInWithCode(email: $email, code: $code) { user { email } role } }';
const VIEWER = '{ viewer { kind user { email } role organization { id } } }';

let cp: TestControlPlane;
let org: TestOrg;
const secrets = usePlaneWithOwner((plane) => ({ cp, org } = plane));

/** Rewinds a lock or a code's expiry, as if time had passed. */
async function sql(text: string, params: unknown[] = []) {
  return cp.services.orm.em.fork().execute(text, params);
}

/** A log destination that discards lines (the replica's logs are not under test). */
function sink() {
  return new Writable({ write: (_c, _e, done) => done() });
}

function lastCodeFor(email: string): string {
  const mail = [...(cp.services.mailer.outbox ?? [])].reverse().find((m) => m.to === email);
  const code = mail && /code is: (\d{6})/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no sign-in code was sent to ${email}`);
  secrets.push(code);
  return code;
}

describe('signing in with a password', () => {
  it('sets an httpOnly SameSite=Lax session cookie and answers who signed in', async () => {
    const res = await cp.gql<{ signInWithPassword: { user: { email: string }; role: string; organization: { id: string } } }>(SIGN_IN, {
      email: org.owner.email.toUpperCase(),
      password: org.owner.password,
    });
    expectOk(res);
    expect(res.data!.signInWithPassword).toEqual({ user: { email: org.owner.email }, role: 'OWNER', organization: { id: org.orgId } });
    const header = res.headers.getSetCookie().find((h) => h.startsWith('kw_session='))!;
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=Lax/i);
    expect(header).toMatch(/Path=\//);
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    const viewer = await cp.gql<{ viewer: { user: { email: string } } }>(VIEWER, {}, { session });
    expect(viewer.data!.viewer.user.email).toBe(org.owner.email);
  });

  it('stores only a hash of the session token', async () => {
    const res = await cp.gql(SIGN_IN, { email: org.owner.email, password: org.owner.password });
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    const rows = await sql('select token_hash from sessions');
    expect(JSON.stringify(rows)).not.toContain(session);
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrong = await cp.gql(SIGN_IN, { email: org.owner.email, password: 'not-the-password-1' });
    const unknown = await cp.gql(SIGN_IN, { email: 'nobody@example.test', password: 'not-the-password-1' });
    expectError(wrong, 'UNAUTHENTICATED', /email or password is incorrect/);
    expect(unknown.errors).toEqual(wrong.errors);
    expect(sessionCookieOf(wrong)).toBeUndefined();
  });

  it('locks an email for a client after five failures, then doubles the wait, and logs without the password', async () => {
    const victim = await addMember(cp, org.orgId, 'developer');
    secrets.push(victim.password, victim.session);
    for (let i = 0; i < 5; i++) {
      expectError(await cp.gql(SIGN_IN, { email: victim.email, password: `Wrong-guess-${i}-xyz` }), 'UNAUTHENTICATED');
    }
    const locked = await cp.gql(SIGN_IN, { email: victim.email, password: victim.password });
    expectError(locked, 'RATE_LIMITED', /try again in \d+ seconds/);
    expect(locked.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(20);
    expect(locked.errors![0].extensions!.retryAfterSeconds).toBeLessThanOrEqual(30);

    // The lock runs out; one more failure locks again, twice as long.
    await sql(`update auth_throttles set locked_until = now() - interval '1 second' where key like 'signin:%'`);
    expectError(await cp.gql(SIGN_IN, { email: victim.email, password: 'Wrong-guess-6-xyz' }), 'UNAUTHENTICATED');
    const longer = await cp.gql(SIGN_IN, { email: victim.email, password: victim.password });
    expect(longer.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(50);

    // The lock lives in PostgreSQL: another control plane on the same database (a restart, or a replica) honours it.
    const replica = await startControlPlane(
      { ...cp.config, port: 0 },
      { databaseUrl: cp.databaseUrl, kms: cp.services.kms, logDestination: sink(), terminal: () => {} },
    );
    try {
      expectError(await gqlRequest(replica.url, SIGN_IN, { email: victim.email, password: victim.password }), 'RATE_LIMITED');
    } finally {
      await replica.close();
    }

    await sql(`update auth_throttles set locked_until = now() - interval '1 second' where key like 'signin:%'`);
    expectOk(await cp.gql(SIGN_IN, { email: victim.email, password: victim.password }));
    // Success forgets the failures.
    expectError(await cp.gql(SIGN_IN, { email: victim.email, password: 'Wrong-again-xyz1' }), 'UNAUTHENTICATED');
    expectOk(await cp.gql(SIGN_IN, { email: victim.email, password: victim.password }));

    const failures = cp.logs.filter((l) => l.includes('"sign-in failed"') && l.includes(victim.email));
    expect(failures.length).toBeGreaterThanOrEqual(6);
    expect(failures.join('\n')).not.toContain('Wrong-guess');
  });
});

describe('sessions', () => {
  it('ends with sign-out: the cookie is cleared and the token stops working', async () => {
    const res = await cp.gql(SIGN_IN, { email: org.owner.email, password: org.owner.password });
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    const out = await cp.gql('mutation { signOut }', {}, { session });
    expectOk(out);
    expect(sessionCookieOf(out)).toBe('');
    const after = await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session });
    expect(after.data!.viewer).toBeNull();
  });

  it('stop working once expired', async () => {
    const res = await cp.gql(SIGN_IN, { email: org.owner.email, password: org.owner.password });
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    await sql(`update sessions set expires_at = now() - interval '1 second' where id = (select id from sessions order by created_at desc limit 1)`);
    const after = await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session });
    expect(after.data!.viewer).toBeNull();
    expectError(await cp.gql('{ members { id } }', {}, { session }), 'UNAUTHENTICATED');
  });

  it('replaces the session a browser already had when it signs in again', async () => {
    const first = sessionCookieOf(await cp.gql(SIGN_IN, { email: org.owner.email, password: org.owner.password }))!;
    const second = sessionCookieOf(await cp.gql(SIGN_IN, { email: org.owner.email, password: org.owner.password }, { session: first }))!;
    secrets.push(first, second);
    expect(second).not.toBe(first);
    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: first })).data!.viewer).toBeNull();
    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: second })).data!.viewer).not.toBeNull();
  });

  it('refuses a cross-site POST that carries the session cookie', async () => {
    const res = await cp.gql(
      'mutation { createTeam(input: { name: "from evil" }) { id } }',
      {},
      {
        session: org.owner.session,
        headers: { origin: 'https://evil.example' },
      },
    );
    expect(res.status).toBe(403);
    expectError(res, 'FORBIDDEN', /Cross-site/);
    const teams = await cp.gql<{ teams: { name: string }[] }>('{ teams { name } }', {}, { session: org.owner.session });
    expect(teams.data!.teams.map((t) => t.name)).not.toContain('from evil');
  });

  it('refuses a simple (non-preflighted) cross-site form post', async () => {
    const res = await fetch(`${cp.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie: `kw_session=${org.owner.session}` },
      body: JSON.stringify({ query: 'mutation { createTeam(input: { name: "csrf" }) { id } }' }),
    });
    expect(res.status).toBe(400);
    const teams = await cp.gql<{ teams: { name: string }[] }>('{ teams { name } }', {}, { session: org.owner.session });
    expect(teams.data!.teams.map((t) => t.name)).not.toContain('csrf');
  });

  it('accepts the same request from our own origin', async () => {
    const res = await cp.gql('{ viewer { kind } }', {}, { session: org.owner.session, headers: { origin: cp.config.publicUrl } });
    expectOk(res);
  });
});

describe('signing in with an emailed code', () => {
  it('emails six digits that sign the person in once', async () => {
    const person = await addMember(cp, org.orgId, 'auditor');
    secrets.push(person.password, person.session);
    expectOk(await cp.gql(REQUEST_CODE, { email: person.email }));
    const code = lastCodeFor(person.email);
    const mail = cp.services.mailer.outbox!.at(-1)!;
    expect(mail.subject).not.toContain(code);
    const res = await cp.gql<{ signInWithCode: { user: { email: string }; role: string } }>(SIGN_IN_CODE, { email: person.email, code });
    expectOk(res);
    expect(res.data!.signInWithCode).toEqual({ user: { email: person.email }, role: 'AUDITOR' });
    secrets.push(sessionCookieOf(res)!);
    expectError(await cp.gql(SIGN_IN_CODE, { email: person.email, code }), 'UNAUTHENTICATED', /wrong, used or expired/);
  });

  it('stores codes only as hashes', async () => {
    const rows = await sql('select code_hash from sign_in_codes');
    const codes = secrets.filter((s) => /^\d{6}$/.test(s));
    for (const code of codes) expect(JSON.stringify(rows)).not.toContain(`"${code}"`);
  });

  it('answers the same for an email without an account, and sends nothing', async () => {
    const before = cp.services.mailer.outbox!.length;
    const res = await cp.gql<{ requestSignInCode: boolean }>(REQUEST_CODE, { email: 'nobody-here@example.test' });
    expectOk(res);
    expect(res.data!.requestSignInCode).toBe(true);
    expect(cp.services.mailer.outbox!.length).toBe(before);
  });

  it('tells anyone where codes go, without naming a code or an account', async () => {
    const res = await cp.gql<{ signInCodeDelivery: string }>('{ signInCodeDelivery }');
    expectOk(res);
    // Tests keep mail in an outbox standing in for email; development without SMTP says TERMINAL (browser test).
    expect(res.data!.signInCodeDelivery).toBe('EMAIL');
  });

  it('refuses an expired code', async () => {
    const person = await addMember(cp, org.orgId, 'developer');
    secrets.push(person.password, person.session);
    await cp.gql(REQUEST_CODE, { email: person.email });
    const code = lastCodeFor(person.email);
    await sql(`update sign_in_codes set expires_at = now() - interval '1 second' where email = ?`, [person.email]);
    expectError(await cp.gql(SIGN_IN_CODE, { email: person.email, code }), 'UNAUTHENTICATED', /expired/);
  });

  it('kills a code after five wrong guesses, even if the sixth is right', async () => {
    const person = await addMember(cp, org.orgId, 'developer');
    secrets.push(person.password, person.session);
    await cp.gql(REQUEST_CODE, { email: person.email });
    const code = lastCodeFor(person.email);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      expectError(await cp.gql(SIGN_IN_CODE, { email: person.email, code: wrong }), 'UNAUTHENTICATED');
      // Keep the per-client failure lock out of the way: this test is about the code's own budget.
      await sql(`delete from auth_throttles where key like 'signin:%'`);
    }
    expectError(await cp.gql(SIGN_IN_CODE, { email: person.email, code }), 'UNAUTHENTICATED');
  });

  it('retires the previous code when a new one is requested', async () => {
    const person = await addMember(cp, org.orgId, 'developer');
    secrets.push(person.password, person.session);
    await cp.gql(REQUEST_CODE, { email: person.email });
    const first = lastCodeFor(person.email);
    await cp.gql(REQUEST_CODE, { email: person.email });
    const second = lastCodeFor(person.email);
    if (first !== second) expectError(await cp.gql(SIGN_IN_CODE, { email: person.email, code: first }), 'UNAUTHENTICATED');
    expectOk(await cp.gql(SIGN_IN_CODE, { email: person.email, code: second }));
  });

  it('limits code requests per email', async () => {
    const email = 'flooded@example.test';
    for (let i = 0; i < 5; i++) expectOk(await cp.gql(REQUEST_CODE, { email }));
    const res = await cp.gql(REQUEST_CODE, { email });
    expectError(res, 'RATE_LIMITED', /Too many sign-in codes/);
    expect(res.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('limits code requests per client address across emails', async () => {
    await sql(`delete from auth_throttles`);
    let limited = false;
    for (let i = 0; i < 25 && !limited; i++) {
      const res = await cp.gql(REQUEST_CODE, { email: `spray-${i}@example.test` });
      limited = res.errors?.[0]?.extensions?.code === 'RATE_LIMITED';
      if (limited) expect(i).toBe(20);
    }
    expect(limited).toBe(true);
    await sql(`delete from auth_throttles`);
  });
});

describe('changing a password', () => {
  it('needs the current password, applies the policy, and ends the other sessions', async () => {
    const person = await addMember(cp, org.orgId, 'developer');
    const other = sessionCookieOf(await cp.gql(SIGN_IN, { email: person.email, password: person.password }))!;
    const next = strongPassword();
    secrets.push(person.password, person.session, other, next);
    const CHANGE = 'mutation($c: String, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
    expectError(await cp.gql(CHANGE, { c: 'Wrong-current-1', n: next }, { session: person.session }), 'BAD_USER_INPUT', /current password is incorrect/);
    const weak = await cp.gql(CHANGE, { c: person.password, n: 'password1234' }, { session: person.session });
    expectError(weak, 'BAD_USER_INPUT', /most common/);
    expect(weak.errors![0].extensions!.reason).toBe('WEAK_PASSWORD');
    expectOk(await cp.gql(CHANGE, { c: person.password, n: next }, { session: person.session }));
    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: other })).data!.viewer).toBeNull();
    expect((await cp.gql<{ viewer: unknown }>(VIEWER, {}, { session: person.session })).data!.viewer).not.toBeNull();
    expectError(await cp.gql(SIGN_IN, { email: person.email, password: person.password }), 'UNAUTHENTICATED');
    secrets.push(sessionCookieOf(await cp.gql(SIGN_IN, { email: person.email, password: next }))!);
  });

  it('is not something an API token can do', async () => {
    const res = await cp.gql<{ createApiToken: { secret: string } }>(
      'mutation { createApiToken(name: "t", role: OWNER) { secret } }',
      {},
      { session: org.owner.session },
    );
    const secret = res.data!.createApiToken.secret;
    secrets.push(secret);
    expectError(await cp.gql('mutation { changePassword(newPassword: "Another-strong-1") }', {}, { token: secret }), 'FORBIDDEN', /signed in to the console/);
  });
});

describe('organizations of a person', () => {
  it('acts in the organization named by x-keyward-org when the person belongs to it, else the first', async () => {
    const other = await createOrgWithOwner(cp);
    const both = await addMember(cp, other.orgId, 'auditor', { email: org.owner.email });
    secrets.push(other.owner.password, other.owner.session, both.session);
    const inOther = await cp.gql<{ viewer: { role: string; organization: { id: string } } }>(VIEWER, {}, { session: org.owner.session, orgId: other.orgId });
    expect(inOther.data!.viewer).toMatchObject({ role: 'AUDITOR', organization: { id: other.orgId } });
    const stranger = await createOrgWithOwner(cp);
    secrets.push(stranger.owner.password, stranger.owner.session);
    const notMine = await cp.gql<{ viewer: { organization: { id: string } } }>(VIEWER, {}, { session: org.owner.session, orgId: stranger.orgId });
    expect(notMine.data!.viewer.organization.id).toBe(org.orgId);
  });

  it("switches the session to another of the person's organizations, and refuses one they are not in", async () => {
    const second = await createOrgWithOwner(cp);
    secrets.push(second.owner.password, second.owner.session);
    const person = await addMember(cp, org.orgId, 'developer');
    await addMember(cp, second.orgId, 'admin', { email: person.email });
    secrets.push(person.password, person.session);
    const SWITCH = 'mutation($id: ID!) { switchOrganization(organizationId: $id) { role organization { id } organizations { role } } }';
    const res = await cp.gql<{ switchOrganization: { role: string; organization: { id: string }; organizations: unknown[] } }>(
      SWITCH,
      { id: second.orgId },
      { session: person.session },
    );
    expectOk(res);
    expect(res.data!.switchOrganization).toMatchObject({ role: 'ADMIN', organization: { id: second.orgId } });
    expect(res.data!.switchOrganization.organizations).toHaveLength(2);
    const now = await cp.gql<{ viewer: { organization: { id: string } } }>(VIEWER, {}, { session: person.session });
    expect(now.data!.viewer.organization.id).toBe(second.orgId);
    const stranger = await createOrgWithOwner(cp);
    secrets.push(stranger.owner.password, stranger.owner.session);
    expectError(await cp.gql(SWITCH, { id: stranger.orgId }, { session: person.session }), 'NOT_FOUND');
  });
});

describe('over graphql-ws', () => {
  it('refuses to sign in, because a WebSocket cannot set the session cookie', async () => {
    const client = createClient({ url: cp.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const result = await new Promise<{ errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
        let last: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] } = {};
        client.subscribe(
          { query: SIGN_IN, variables: { email: org.owner.email, password: org.owner.password } },
          { next: (r) => (last = r as typeof last), error: reject, complete: () => resolve(last) },
        );
      });
      expect(result.errors?.[0]?.message).toMatch(/Sign in over HTTP/);
    } finally {
      await client.dispose();
    }
  });
});
