import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../server.js';
import { expectError, expectNoSecretsInLogs, expectOk, sessionCookieOf, startPlane } from '../testing/fixtures.js';
import type { TestControlPlane } from '../testing/test-control-plane.js';

let cp: TestControlPlane;
const secrets: string[] = [];

beforeAll(async () => {
  process.env.KEYWARD_OWNER_EMAIL = 'Boss@Example.test';
  cp = await startPlane();
});

afterAll(async () => {
  delete process.env.KEYWARD_OWNER_EMAIL;
  expectNoSecretsInLogs(cp, secrets);
  await cp?.close();
});

/** The link token printed in the first-start banner. */
function bannerToken(): string {
  const text = cp.terminal.join('');
  const m = /\/signin\?token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!m) throw new Error(`no sign-in link in the banner: ${text}`);
  secrets.push(m[1]);
  return m[1];
}

/** Makes the link usable again for the next test (each test wants a fresh single use). */
async function reopenLink() {
  await cp.services.orm.em.fork().execute('update sign_in_links set consumed_at = null');
}

describe('first start', () => {
  it('creates an owner with the configured email and prints a one-time sign-in link once, outside the JSON logs', async () => {
    const text = cp.terminal.join('');
    expect(cp.terminal).toHaveLength(1);
    expect(text).toContain('boss@example.test');
    expect(text).toContain(`${cp.config.publicUrl}/signin?token=`);
    expect(text).toMatch(/works once and expires in 24 hours/);
    const token = bannerToken();
    expect(cp.logs.some((l) => l.includes('first start: owner account created'))).toBe(true);
    expect(cp.logs.join('\n')).not.toContain(token);
    const rows = await cp.services.orm.em.fork().execute('select token_hash from sign_in_links');
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('prints nothing on a later start against the same database', async () => {
    const output: string[] = [];
    const again = await startControlPlane(
      { ...cp.config, port: 0 },
      {
        databaseUrl: cp.databaseUrl,
        kms: cp.services.kms,
        logDestination: new Writable({ write: (_c, _e, done) => done() }),
        terminal: (t) => void output.push(t),
      },
    );
    await again.close();
    expect(output).toEqual([]);
    const users = await cp.services.orm.em.fork().execute('select count(*)::int as n from users');
    expect(users[0].n).toBe(1);
  });

  it('signs the owner in through signInWithLinkToken, once', async () => {
    const token = bannerToken();
    const res = await cp.gql<{ signInWithLinkToken: { user: { email: string }; role: string; organization: { name: string } } }>(
      'mutation($t: String!) { signInWithLinkToken(token: $t) { user { email } role organization { name } } }',
      { t: token },
    );
    expectOk(res);
    expect(res.data!.signInWithLinkToken).toEqual({ user: { email: 'boss@example.test' }, role: 'OWNER', organization: { name: 'Keyward' } });
    secrets.push(sessionCookieOf(res)!);
    const reused = await cp.gql('mutation($t: String!) { signInWithLinkToken(token: $t) { role } }', { t: token });
    expectError(reused, 'UNAUTHENTICATED', /wrong, used or expired/);
    expect(reused.errors![0].extensions!.reason).toBe('LINK_INVALID');
  });

  it('refuses an expired link', async () => {
    await reopenLink();
    await cp.services.orm.em.fork().execute(`update sign_in_links set expires_at = now() - interval '1 second'`);
    expectError(await cp.gql('mutation($t: String!) { signInWithLinkToken(token: $t) { role } }', { t: bannerToken() }), 'UNAUTHENTICATED');
    await cp.services.orm.em.fork().execute(`update sign_in_links set expires_at = now() + interval '1 hour'`);
  });
});

describe('the /signin page', () => {
  it('only shows a button on GET, so link previews do not use the link up', async () => {
    await reopenLink();
    const token = bannerToken();
    const res = await fetch(`${cp.url}/signin?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(res.headers.getSetCookie()).toEqual([]);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/signin">');
    const again = await fetch(`${cp.url}/signin?token=${token}`);
    expect(again.status).toBe(200);
  });

  it('signs in on the same-origin POST, sets the cookie and redirects to the console', async () => {
    const token = bannerToken();
    const res = await fetch(`${cp.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: cp.url },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const session = sessionCookieOf(res)!;
    secrets.push(session);
    const viewer = await cp.gql<{ viewer: { user: { email: string } } }>('{ viewer { user { email } } }', {}, { session });
    expect(viewer.data!.viewer.user.email).toBe('boss@example.test');

    const reused = await fetch(`${cp.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(reused.status).toBe(400);
    expect(await reused.text()).toContain('does not work');
  });

  it('refuses a cross-site POST without using the link', async () => {
    await reopenLink();
    const token = bannerToken();
    const res = await fetch(`${cp.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expectOk(await cp.gql('mutation($t: String!) { signInWithLinkToken(token: $t) { role } }', { t: token }));
  });

  it('answers a malformed link with a page, not an error dump', async () => {
    const res = await fetch(`${cp.url}/signin?token=%3Cscript%3E`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('incomplete');
  });

  it('records link sign-ins in the audit trail', async () => {
    const rows = await cp.services.orm.em
      .fork()
      .execute<{ outcome: string }[]>(`select actor, outcome from audit_entries where action in ('signInWithLink', 'signInWithLinkToken') order by created_at`);
    expect(rows.map((r) => r.outcome)).toEqual(expect.arrayContaining(['success', 'failure']));
  });
});

describe('the first-start link and required single sign-on', () => {
  const useLink = async () => {
    await reopenLink();
    return fetch(`${cp.url}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: cp.url },
      body: new URLSearchParams({ token: bannerToken() }).toString(),
    });
  };

  it('lets the owner in past required SSO only as an audited break-glass sign-in, and nobody else', async () => {
    const session = sessionCookieOf(await useLink())!;
    secrets.push(session, 'client-secret-of-the-link-test');
    expectOk(
      await cp.gql(
        'mutation($input: SsoConnectionInput!) { setSsoConnection(input: $input) { requireSso } }',
        {
          input: {
            issuer: 'http://127.0.0.1:9/realms/corp',
            clientId: 'keyward',
            clientSecret: 'client-secret-of-the-link-test',
            emailDomains: ['example.test'],
            defaultRole: 'DEVELOPER',
            requireSso: true,
          },
        },
        { session },
      ),
    );

    const owner = await useLink();
    expect(owner.status).toBe(303);
    const audit = await cp.gql<{ auditLog: { entries: { args: Record<string, unknown> }[] } }>(
      '{ auditLog(filter: { action: "breakGlassSignIn" }) { entries { args } } }',
      {},
      { session },
    );
    expect(audit.data!.auditLog.entries.map((e) => e.args)).toEqual([{ method: 'link' }]);

    // The same link held by someone who is no longer an owner starts no session.
    const db = cp.services.orm.em.fork();
    await db.execute("update memberships set role = 'developer'");
    try {
      const member = await useLink();
      expect(member.status).toBe(403);
      expect(member.headers.getSetCookie().join()).not.toContain('kw_session=');
      expect(await member.text()).toContain('Your organization requires single sign-on');
    } finally {
      await db.execute("update memberships set role = 'owner'");
    }
  });
});
