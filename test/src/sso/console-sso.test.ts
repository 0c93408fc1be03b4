import {
  addPersonWithPassword,
  createLocalKmsFile,
  createOrgWithMember,
  gqlRequest,
  startTestControlPlane,
  type LocalKmsFile,
  type TestControlPlane,
  type TestPerson,
} from '@keyward/control-plane/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONSOLE_DIST, DESKTOP, launchBrowser, openConsolePage, PHONE, saveScreenshot, UI_TIMEOUT_MS, type ConsolePage } from '../console/support/browser.js';
import { openScreen, signIn } from '../console/support/console-actions.js';
import { freePort } from '../support/system.js';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';

/**
 * The owner sets up single sign-on and a SCIM token on the console's Single sign-on screen; a
 * colleague signs in with "Sign in with SSO" through the identity provider's own login page;
 * the provider then deactivates them over SCIM (as Entra ID does) and their open console loses
 * its access at once.
 */
describe('single sign-on and SCIM in the console', () => {
  let cp: TestControlPlane;
  let kms: LocalKmsFile;
  let idp: OpenIdProvider;
  let browser: Browser;
  let owner: TestPerson;
  let ownerPage: ConsolePage;
  let scimSecret = '';
  const consoleUrl = () => cp.url;

  beforeAll(async () => {
    kms = await createLocalKmsFile();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startOpenIdProvider(`${publicUrl}/sso/callback`);
    idp.accounts.set('carol', { email: 'carol@corp.example', name: 'Carol Shaw', groups: ['engineering'] });
    cp = await startTestControlPlane(inject('pgAdminUrl'), {
      ...kms.env,
      KEYWARD_CP_PORT: String(port),
      KEYWARD_PUBLIC_URL: publicUrl,
      KEYWARD_CONSOLE_DIR: CONSOLE_DIST,
    });
    const { orgId } = await createOrgWithMember(cp, 'owner');
    owner = await addPersonWithPassword(cp, orgId, 'owner', { name: 'Olive Owner' });
    browser = await launchBrowser();
    ownerPage = await openConsolePage(browser, DESKTOP);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (cp) {
      const logs = cp.logs.join('\n');
      for (const secret of [idp.clientSecret, scimSecret].filter(Boolean)) expect(logs).not.toContain(secret);
    }
    await cp?.close();
    await idp?.close();
    await kms?.remove();
  });

  it('sets up the identity provider and a SCIM token, the secrets shown once', async () => {
    const { page } = ownerPage;
    await signIn(page, consoleUrl(), owner);
    await openScreen(page, 'Single sign-on');
    const form = page.locator('[data-test=sso-form]');
    await form.locator('input[name=issuer]').fill(idp.issuer);
    await form.locator('input[name=clientId]').fill(idp.clientId);
    await form.locator('input[name=clientSecret]').fill(idp.clientSecret);
    await form.locator('[data-test=email-domains] button').click();
    await form.locator('[data-test=email-domains] input').fill('corp.example');
    await form.locator('[data-test=email-domains] input').press('Enter');
    await form.getByRole('button', { name: 'Add a group' }).click();
    await form.locator('input[name=group-0]').fill('engineering');
    await form.getByRole('button', { name: 'Save single sign-on' }).click();
    await form.locator('[data-test=redirect-uri]').waitFor();
    expect(await form.locator('[data-test=redirect-uri]').textContent()).toBe(`${cp.url}/sso/callback`);
    expect(await form.locator('input[name=clientSecret]').inputValue()).toBe('');
    expect((await ownerPage.graphqlBodies()).join('')).not.toContain(idp.clientSecret);
    expect(await form.locator('[data-test=test-sign-in]').getAttribute('href')).toMatch(/\/sso\/start\?org=org-[0-9a-f]+&test=1$/);

    const scim = page.locator('[data-test=scim]');
    await scim.locator('input[name=scimTokenName]').fill('Entra ID');
    await scim.getByRole('button', { name: 'Create SCIM token' }).click();
    const shown = page.locator('[data-test=secret]');
    await shown.waitFor();
    scimSecret = (await shown.textContent())!.trim();
    expect(scimSecret).toMatch(/^kws_/);
    await page.locator('[data-test=stored]').click();
    await page.locator('[data-test=done]').click();
    await scim.locator('[data-test=scim-token]').first().waitFor();
    expect(await page.content()).not.toContain(scimSecret);
    expect(await scim.locator('[data-test=scim-base-url]').textContent()).toBe(`${cp.url}/scim/v2`);
    await saveScreenshot(page, 'sso-settings-desktop');

    const phone = await openConsolePage(browser, PHONE);
    await signIn(phone.page, consoleUrl(), owner);
    await openScreen(phone.page, 'Single sign-on');
    await phone.page.locator('[data-test=redirect-uri]').waitFor();
    await saveScreenshot(phone.page, 'sso-settings-phone');
    await phone.context.close();
  });

  it("signs a colleague in through the provider's login page, and a SCIM deactivation takes their access away at once", async () => {
    const colleague = await openConsolePage(browser, PHONE);
    const { page } = colleague;
    await page.goto(`${consoleUrl()}/login`);
    await page.getByText('SSO', { exact: true }).click();
    await page.locator('input[name=sso-email]').fill('carol@corp.example');
    await saveScreenshot(page, 'sign-in-sso-phone');
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL((url) => url.origin === idp.issuer, { timeout: UI_TIMEOUT_MS });
    await page.locator('input[name=login]').fill('carol');
    await page.locator('input[name=password]').fill('any password the test provider accepts');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.origin === new URL(cp.url).origin && !url.pathname.startsWith('/login') && !url.pathname.startsWith('/sso'), {
      timeout: UI_TIMEOUT_MS,
    });
    await page.locator('[data-test=open-menu]').waitFor({ timeout: UI_TIMEOUT_MS });
    const session = (await colleague.context.cookies(cp.url)).find((c) => c.name === 'kw_session')?.value;
    const viewer = await gqlRequest<{ viewer: { role: string; user: { email: string } } }>(cp.url, '{ viewer { role user { email } } }', {}, { session });
    // Carol is in the provider's `engineering` group, which the owner mapped to Admin.
    expect(viewer.data?.viewer).toEqual({ role: 'ADMIN', user: { email: 'carol@corp.example' } });

    // The identity provider deactivates Carol the way Entra ID does.
    const headers = { authorization: `Bearer ${scimSecret}`, 'content-type': 'application/scim+json' };
    const list = await fetch(`${cp.url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "carol@corp.example"')}`, { headers });
    expect(list.status).toBe(200);
    const listed = (await list.json()) as { totalResults: number; Resources: { id: string }[] };
    let id = listed.Resources[0]?.id;
    if (!id) {
      const created = await fetch(`${cp.url}/scim/v2/Users`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'carol@corp.example', active: true }),
      });
      expect(created.status).toBe(201);
      id = ((await created.json()) as { id: string }).id;
    }
    const patched = await fetch(`${cp.url}/scim/v2/Users/${id}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
    });
    expect(patched.status).toBe(200);

    await page.reload();
    await page.waitForURL(/\/login/, { timeout: UI_TIMEOUT_MS });
    const after = await gqlRequest<{ viewer: unknown }>(cp.url, '{ viewer { role } }', {}, { session });
    expect(after.data?.viewer ?? null).toBeNull();
    await colleague.context.close();
  });
});
