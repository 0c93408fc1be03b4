import { startReceiver, type Receiver } from '@keyward/control-plane/testing';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP, launchBrowser, openConsolePage, UI_TIMEOUT_MS, type ConsolePage } from './support/browser.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from './support/console-system.js';
import { autoSubmittingForm, startOtherOrigin, type OtherOrigin } from './support/other-origin.js';

/** Holds every request that offers the model a shell tool. */
const POLICY = JSON.stringify({
  name: 'Shell needs a human',
  rules: [{ id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 300, onTimeout: 'block' } }],
});

/** A call the policy holds, with the signed links its webhook message carried. */
interface HeldCall {
  readonly approvalId: string;
  readonly approve: string;
  readonly reject: string;
  readonly outcome: Promise<{ answer: OpenAI.Chat.Completions.ChatCompletion } | { error: unknown }>;
}

/**
 * The links Keyward hands people outside the console — the one-time sign-in link printed on
 * first start, and the signed Approve / Reject links in webhook and Slack messages — opened in
 * a real chromium and used with their real button, while the same posts from a page on
 * another origin are refused.
 */
describe('one-time and signed links in a browser', () => {
  let world: ConsoleSystem;
  let browser: Browser;
  let person: ConsolePage;
  let otherOrigin: OtherOrigin;
  let receiver: Receiver;
  let key: { id: string; secret: string };
  let signInToken = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    otherOrigin = await startOtherOrigin();
    receiver = await startReceiver();
    const { owner } = world.system;
    const hook = await owner.gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`, {
      input: { url: `${receiver.url}/keyward`, events: ['approval.requested'] },
    });
    expect(hook.errors).toBeUndefined();
    await world.system.addMockCredential();
    key = await world.system.createKey({ name: 'ops-agent' });
    const policy = await owner.gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: POLICY },
    });
    expect(policy.errors).toBeUndefined();
    const attached = await owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();
    await waitForKeyOnNode(world.system, key.secret);

    const banner = world.system.cp.terminal.join('');
    signInToken = /\/signin\?token=([A-Za-z0-9_-]{43})/.exec(banner)?.[1] ?? '';
    expect(signInToken, 'the first-start banner prints a sign-in link').not.toBe('');
    person = await openConsolePage(browser, DESKTOP);
  });

  afterAll(async () => {
    await browser?.close();
    await otherOrigin?.close();
    await receiver?.close();
    await world?.close();
  });

  /** The address of a link as this test's control plane serves it (links name the configured public URL). */
  function local(link: string): string {
    const url = new URL(link);
    return `${world.consoleUrl}${url.pathname}${url.search}`;
  }

  /** Makes an agent call that the policy holds; resolves once its webhook message arrived. */
  async function holdACall(): Promise<HeldCall> {
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${world.system.dp.url}/v1`, maxRetries: 0, timeout: 120_000 });
    const seen = receiver.requests.length;
    const outcome = openai.chat.completions
      .create({
        model: 'gpt-4o-mini',
        tools: [{ type: 'function', function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } }],
        messages: [{ role: 'user', content: 'Free some disk space on the build box' }],
      })
      .then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );
    const delivered = await receiver.waitFor((r) => receiver.requests.indexOf(r) >= seen && r.json?.type === 'approval.requested', 15_000);
    const { approval, links } = delivered.json.data as { approval: { id: string }; links: { approve: string; reject: string } };
    return { approvalId: approval.id, approve: local(links.approve), reject: local(links.reject), outcome };
  }

  async function approvalStatus(id: string): Promise<string | undefined> {
    const res = await world.system.owner.gql<{ approvals: { nodes: { id: string; status: string }[] } }>(
      `query { approvals(first: 20) { nodes { id status } } }`,
    );
    return res.data?.approvals.nodes.find((n) => n.id === id)?.status;
  }

  /** Opens a signed link, writes the note, presses its button; resolves on the page that says it is done. */
  async function decideThroughLink(page: Page, link: string, verb: 'Approve' | 'Reject', note: string): Promise<void> {
    await page.goto(link);
    expect(await heading(page)).toBe(`${verb} request?`);
    await page.getByRole('textbox').fill(note);
    await page.getByRole('button', { name: `${verb} request` }).click();
    await page.getByRole('heading', { level: 1, name: `${verb.replace(/e?$/, 'ed')}` }).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  async function heading(page: Page): Promise<string> {
    return (await page.getByRole('heading', { level: 1 }).textContent({ timeout: UI_TIMEOUT_MS })) ?? '';
  }

  it('refuses the sign-in link when a page on another origin posts it', async () => {
    const { page } = person;
    const attack = otherOrigin.page('/signin-attack', autoSubmittingForm(`${world.consoleUrl}/signin`, { token: signInToken }));
    const answered = page.waitForResponse((res) => res.url() === `${world.consoleUrl}/signin` && res.request().method() === 'POST');
    await page.goto(attack);
    expect((await answered).status()).toBe(403);
    expect(await heading(page)).toBe('Cross-site request refused');
    expect((await person.context.cookies(world.consoleUrl)).map((c) => c.name)).not.toContain('kw_session');
  });

  it('signs the first owner in from the printed link and its button, onto the console', async () => {
    const { page } = person;
    await page.goto(`${world.consoleUrl}/signin?token=${signInToken}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.origin === world.consoleUrl && url.pathname !== '/signin' && url.pathname !== '/login', { timeout: UI_TIMEOUT_MS });
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const viewer = await page.evaluate(async () => {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { user { email } } }' }),
      });
      return (await res.json()) as { data: { viewer: { user: { email: string } } | null } };
    });
    expect(viewer.data.viewer?.user.email).toBe('owner@keyward.local');
    expect(page.url()).not.toContain(signInToken);
  });

  it('refuses a cross-origin GraphQL call that carries the session cookie', async () => {
    const { page } = person;
    const mutation = JSON.stringify({ query: 'mutation { createApiToken(name: "planted", role: OWNER) { secret } }' });
    await page.goto(otherOrigin.page('/graphql-attack', '<!doctype html><title>elsewhere</title>'));
    const refused = page.waitForResponse((res) => res.url() === `${world.consoleUrl}/graphql`);
    const attempts = await page.evaluate(
      async ({ target, body }) => {
        // A "simple" request (no preflight), which the browser sends with the cookie.
        const simple = await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body }).then(
          (r) => r.type,
          (e: Error) => e.message,
        );
        // A JSON request needs a CORS preflight, which the control plane never grants.
        const json = await fetch(target, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body }).then(
          (r) => `answered ${r.status}`,
          (e: Error) => e.name,
        );
        return { simple, json };
      },
      { target: `${world.consoleUrl}/graphql`, body: mutation },
    );
    expect((await refused).status()).toBe(403);
    expect(attempts).toEqual({ simple: 'opaque', json: 'TypeError' });
    const tokens = await world.system.owner.gql<{ apiTokens: { name: string }[] }>('{ apiTokens { name } }');
    expect(tokens.data?.apiTokens.map((t) => t.name) ?? []).not.toContain('planted');
  });

  it('approves a held request from the signed Approve link, and refuses the same post from another origin', { timeout: 120_000 }, async () => {
    const { page } = person;
    const held = await holdACall();

    const attack = otherOrigin.page('/approve-attack', autoSubmittingForm(held.approve, { reason: 'planted' }));
    const refused = page.waitForResponse((res) => res.url() === held.approve && res.request().method() === 'POST');
    await page.goto(attack);
    expect((await refused).status()).toBe(403);
    expect(await heading(page)).toBe('Cross-site request refused');
    expect(await approvalStatus(held.approvalId)).toBe('PENDING');

    await decideThroughLink(page, held.approve, 'Approve', 'Routine clean-up');

    const result = await held.outcome;
    if (!('answer' in result)) throw new Error(`the held call failed after approval: ${String(result.error)}`);
    expect(result.answer.choices[0]?.message.content).toBeTruthy();
    expect(await approvalStatus(held.approvalId)).not.toBe('PENDING');
  });

  it('rejects a held request from the signed Reject link, and the agent hears the reason', { timeout: 120_000 }, async () => {
    const held = await holdACall();
    await decideThroughLink(person.page, held.reject, 'Reject', 'Use the runbook instead');

    const result = await held.outcome;
    if (!('error' in result)) throw new Error('the rejected call was answered');
    expect(result.error).toBeInstanceOf(OpenAI.APIError);
    expect((result.error as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect(String((result.error as Error).message)).toContain('Use the runbook instead');
    // The refused cross-origin posts and calls above are logged by the browser; nothing else went wrong.
    expect(person.errors.filter((e) => !/403 \(Forbidden\)|net::ERR_FAILED|CORS policy/.test(e))).toEqual([]);
  });
});
