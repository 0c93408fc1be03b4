import {
  addPersonWithPassword,
  createLocalKmsFile,
  createOrgWithMember,
  findSecretsInLogs,
  gqlRequest,
  startTestControlPlane,
  type LocalKmsFile,
  type OrgMember,
  type TestControlPlane,
} from '@keyward/control-plane/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, UI_TIMEOUT_MS } from '../console/support/browser.js';
import { freePort } from '../support/system.js';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';

const SET_SSO = `mutation($input: SsoConnectionInput!) {
  setSsoConnection(input: $input) { id issuer clientId emailDomains defaultRole groupsClaim groupRoles { group role } requireSso redirectUri signInUrl testSignInUrl }
}`;
const VIEWER = '{ viewer { kind role user { email } organization { id } } }';
const AUDIT = `query($action: String) { auditLog(filter: { action: $action }) { entries { actor action outcome errorCode args } } }`;

/**
 * Single sign-on against a real OpenID provider (`oidc-provider`) in a real chromium: the person
 * types their login on the provider's own page, comes back signed in with the usual session
 * cookie, and joins the organization with the role their groups map to. ID tokens changed on
 * the wire (audience, issuer, nonce, expiry, signature) are refused with a sentence and an
 * audit record.
 */
describe('OIDC single sign-on', () => {
  let cp: TestControlPlane;
  let kms: LocalKmsFile;
  let idp: OpenIdProvider;
  let browser: Browser;
  let owner: OrgMember;
  let signInUrl: string;
  let testSignInUrl: string;

  beforeAll(async () => {
    kms = await createLocalKmsFile();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startOpenIdProvider(`${publicUrl}/sso/callback`);
    cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_CP_PORT: String(port), KEYWARD_PUBLIC_URL: publicUrl });
    browser = await launchBrowser();
    owner = await createOrgWithMember(cp, 'owner');
    idp.accounts.set('alice', { email: 'Alice@Corp.Example', name: 'Alice Lidell', groups: ['keyward-admins', 'everyone'] });
    idp.accounts.set('bob', { email: 'bob@corp.example', name: 'Bob Builder', groups: ['everyone'] });
    idp.accounts.set('eve', { email: 'eve@elsewhere.example', name: 'Eve' });
    idp.accounts.set('mallory', { email: 'mallory@corp.example', email_verified: false });
    const res = await owner.gql<{ setSsoConnection: { redirectUri: string; signInUrl: string; testSignInUrl: string } }>(SET_SSO, {
      input: {
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        emailDomains: ['corp.example'],
        defaultRole: 'AUDITOR',
        groupRoles: [{ group: 'keyward-admins', role: 'ADMIN' }],
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data!.setSsoConnection.redirectUri).toBe(`${publicUrl}/sso/callback`);
    ({ signInUrl, testSignInUrl } = res.data!.setSsoConnection);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (cp) expect(findSecretsInLogs(cp.logs, [idp.clientSecret, owner.token])).toEqual([]);
    await cp?.close();
    await idp?.close();
    await kms?.remove();
  });

  /** A fresh browser (no cookies at Keyward or the provider) that signs in at the provider's page as `login`. */
  async function signInThroughProvider(start: string, login: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: DESKTOP });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    await page.goto(start);
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password the test provider accepts');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // Back at Keyward: `/` when signed in (the callback redirects), the callback's own page when refused.
    await page.waitForURL((url) => url.origin === new URL(cp.url).origin);
    return { context, page };
  }

  async function sessionOf(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies(cp.url)).find((c) => c.name === 'kw_session')?.value;
  }

  async function refusal(page: Page): Promise<{ reason: string | null; text: string }> {
    const paragraph = page.locator('p[data-reason]');
    await paragraph.waitFor();
    return { reason: await paragraph.getAttribute('data-reason'), text: (await paragraph.textContent()) ?? '' };
  }

  async function auditEntries(action: string) {
    const res = await owner.gql<{ auditLog: { entries: { actor: string; outcome: string; errorCode: string | null; args: Record<string, unknown> }[] } }>(
      AUDIT,
      {
        action,
      },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data!.auditLog.entries;
  }

  it('signs a new person in with the session cookie and makes them a member with the role their group maps to', async () => {
    const { context, page } = await signInThroughProvider(signInUrl, 'alice');
    expect(new URL(page.url()).pathname).toBe('/');
    const session = await sessionOf(context);
    expect(session).toBeTruthy();
    const viewer = await gqlRequest<{ viewer: unknown }>(cp.url, VIEWER, {}, { session });
    expect(viewer.data?.viewer).toMatchObject({ kind: 'USER', user: { email: 'alice@corp.example' }, role: 'ADMIN', organization: { id: owner.orgId } });
    const entries = await auditEntries('signInWithSso');
    expect(entries[0]).toMatchObject({ outcome: 'SUCCESS', args: { email: 'alice@corp.example', role: 'admin' } });

    // Alice also belongs to another organization: this session, vouched for by this organization's provider, cannot act there.
    const elsewhere = await createOrgWithMember(cp, 'owner');
    await addPersonWithPassword(cp, elsewhere.orgId, 'admin', { email: 'alice@corp.example' });
    const there = await gqlRequest<{ viewer: unknown }>(cp.url, VIEWER, {}, { session, orgId: elsewhere.orgId });
    expect(there.data?.viewer).toMatchObject({ role: 'ADMIN', organization: { id: owner.orgId } });
    await context.close();
  });

  it('gives a person in no mapped group the default role, and finds the organization by email domain', async () => {
    const start = new URL('/sso/start', cp.url);
    start.searchParams.set('email', 'bob@corp.example');
    const { context } = await signInThroughProvider(start.toString(), 'bob');
    const viewer = await gqlRequest<{ viewer: unknown }>(cp.url, VIEWER, {}, { session: await sessionOf(context) });
    expect(viewer.data?.viewer).toMatchObject({ user: { email: 'bob@corp.example' }, role: 'AUDITOR' });
    await context.close();
  });

  it('refuses an email outside the organization, and one the provider has not verified', async () => {
    for (const [login, reason, message] of [
      ['eve', 'EMAIL_DOMAIN', /eve@elsewhere\.example is not in a domain this organization signs in with \(corp\.example\)/],
      ['mallory', 'EMAIL_UNVERIFIED', /mallory@corp\.example is not verified/],
    ] as const) {
      const { context, page } = await signInThroughProvider(signInUrl, login);
      const shown = await refusal(page);
      expect(shown.reason).toBe(reason);
      expect(shown.text).toMatch(message);
      expect(await sessionOf(context)).toBeUndefined();
      await context.close();
    }
  });

  describe('ID tokens changed on the wire', () => {
    const cases = [
      { name: 'another audience', tamper: { claims: { aud: 'some-other-app' } }, reason: 'ID_TOKEN_AUDIENCE', message: /issued for another application/ },
      { name: 'another issuer', tamper: { claims: { iss: 'https://idp.attacker.example' } }, reason: 'ID_TOKEN_ISSUER', message: /names another issuer/ },
      {
        name: 'another nonce',
        tamper: { claims: { nonce: 'replayed-from-another-sign-in' } },
        reason: 'ID_TOKEN_NONCE',
        message: /does not belong to this sign-in/,
      },
      {
        name: 'an expired token',
        tamper: { claims: { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 } },
        reason: 'ID_TOKEN_EXPIRED',
        message: /has expired/,
      },
      { name: 'a signature by another key', tamper: { foreignKey: true }, reason: 'ID_TOKEN_SIGNATURE', message: /signature does not verify/ },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} with a sentence and an audit record`, async () => {
        idp.tamper = c.tamper;
        try {
          const { context, page } = await signInThroughProvider(signInUrl, 'bob');
          const shown = await refusal(page);
          expect(shown.reason).toBe(c.reason);
          expect(shown.text).toMatch(c.message);
          expect(await page.title()).toBe('Single sign-on refused');
          expect(await sessionOf(context)).toBeUndefined();
          await context.close();
        } finally {
          idp.tamper = null;
        }
        const entries = await auditEntries('signInWithSso');
        expect(entries[0]).toMatchObject({ actor: 'anonymous', outcome: 'FAILURE', errorCode: c.reason });
        expect(String(entries[0].args.reason)).toMatch(c.message);
      });
    }
  });

  it('refuses a callback that comes back twice, or that this browser did not start', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const callbacks: string[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/sso/callback') callbacks.push(req.url());
    });
    await page.goto(signInUrl);
    await page.locator('input[name=login]').fill('bob');
    await page.locator('input[name=password]').fill('any password the test provider accepts');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.origin === new URL(cp.url).origin);
    expect(callbacks).toHaveLength(1);
    await page.goto(callbacks[0]);
    expect((await refusal(page)).reason).toBe('STATE_INVALID');
    await page.goto(new URL('/sso/callback?state=forged&code=forged', cp.url).toString());
    expect((await refusal(page)).reason).toBe('STATE_INVALID');
    await context.close();
  });

  it('runs a test sign-in that shows what the provider sent and signs nobody in', async () => {
    const { context, page } = await signInThroughProvider(testSignInUrl, 'alice');
    await page.getByRole('heading', { name: 'Single sign-on works' }).waitFor();
    const text = (await page.locator('table').textContent()) ?? '';
    expect(text).toContain('alice@corp.example');
    expect(text).toContain('keyward-admins, everyone');
    expect(text).toContain('admin');
    expect(await sessionOf(context)).toBeUndefined();
    await context.close();
  });

  it('never returns the client secret and refuses settings it cannot use', async () => {
    const read = await owner.gql('{ ssoConnection { issuer clientId emailDomains } }');
    expect(JSON.stringify(read.data)).not.toContain(idp.clientSecret);
    const bad = await owner.gql<unknown>(SET_SSO, {
      input: { issuer: 'http://10.0.0.7/realms/corp', clientId: 'x', emailDomains: ['corp.example'], defaultRole: 'OWNER' },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const domain = await owner.gql<unknown>(SET_SSO, {
      input: { issuer: idp.issuer, clientId: idp.clientId, emailDomains: ['not a domain'], defaultRole: 'DEVELOPER' },
    });
    expect(domain.errors?.[0]?.message).toMatch(/"not a domain" is not a domain name/);
    const other = await createOrgWithMember(cp, 'owner');
    const taken = await other.gql<unknown>(SET_SSO, {
      input: { issuer: idp.issuer, clientId: 'other', clientSecret: 'other-secret', emailDomains: ['corp.example'], defaultRole: 'DEVELOPER' },
    });
    expect(taken.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(taken.errors?.[0]?.message).toMatch(/corp\.example already signs in through another organization's identity provider/);
  });
});
