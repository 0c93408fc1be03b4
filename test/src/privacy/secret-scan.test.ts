import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionCookieOf } from '@keyward/control-plane/testing';
import { displayPrefix } from '@keyward/shared';
import { DESKTOP, launchBrowser, openConsolePage, placesSeen } from '../console/support/browser.js';
import { createWithSecretShownOnce, dialog, fillSignIn, openScreen, screenTitle, settle, tableRows } from '../console/support/console-actions.js';
import { startConsoleSystem, waitForKeyOnNode, type ConsoleSystem } from '../console/support/console-system.js';
import { storesHolding, storesText } from '../support/stores.js';
import { eventually, type TestSystem } from '../support/system.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** Holds every request that offers the model a shell tool, so the Approvals screen has a request to decide. */
const HOLD_POLICY = JSON.stringify({
  name: 'Shell needs a human',
  rules: [{ id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 300, onTimeout: 'block' } }],
});

/** The creation mutations whose answers may carry the secret they create, by the name of that secret. */
const CREATION_ANSWERS = {
  'Keyward key (console)': 'createKey',
  'API token (console)': 'createApiToken',
  'node token (console)': 'createNodeToken',
  'webhook secret (console)': 'createWebhook',
} as const;

/**
 * Every secret a realistic session creates — a provider credential, Keyward keys, the owner's
 * API token, the node token and a node token created through GraphQL, a webhook signing
 * secret and the tokens in its URL, two emailed sign-in codes (one used, one left pending) and the session the used one
 * opened, a person's password and session — is looked for, after requests (plain, streamed,
 * refused, held), in every sink. First in the console's traffic: that person signs in through
 * the browser, creates a key, an API token, a node token and a webhook through the dialogs,
 * and opens every screen that shows or manages secrets or their owners; each secret the
 * console created may be in its one creation answer and nowhere else. Then in PostgreSQL
 * (every row of every table as text), both planes' logs, the node's state directory (event
 * spool, last known good config), a usage-event export, the webhook payloads and the node's
 * metrics, where only hashes may be stored, so none may be found.
 */
describe('secrets in every sink', () => {
  let world: ConsoleSystem;
  let system: TestSystem;
  let db: pg.Client;
  let browser: Browser;
  let receiver: WebhookReceiver<Record<string, unknown>>;
  let heldCall: Promise<'answered' | 'failed'>;
  /** The session the browser signs in with, kept in its cookie jar. */
  let browserSession = '';
  const secrets: Record<string, string> = {};
  /** Six digits: looked for as a number of their own, not inside longer ones or a timestamp's microseconds. */
  const codes: Record<string, string> = {};
  /** Secrets created through the console's dialogs, each shown once in its creation answer. */
  const shownOnce: Partial<Record<keyof typeof CREATION_ANSWERS, string>> = {};

  beforeAll(async () => {
    browser = await launchBrowser();
    world = await startConsoleSystem(inject('pgAdminUrl'));
    system = world.system;
    receiver = await startWebhookReceiver();
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const res = await system.owner.gql<T>(query, variables);
      if (!res.data) throw new Error(JSON.stringify(res.errors));
      return res.data;
    };
    secrets['provider credential'] = `sk-provider-${randomBytes(16).toString('hex')}`;
    await gql(`mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey: secrets['provider credential'], baseUrl: `${system.mock.url}/v1` },
    });
    secrets['API token'] = system.owner.token;
    secrets['node token (configured)'] = system.secrets.nodeToken;
    secrets['node token (created)'] = (
      await gql<{ createNodeToken: { secret: string } }>(`mutation { createNodeToken(name: "edge") { secret } }`, {})
    ).createNodeToken.secret;
    // A webhook URL holding tokens in its path and query, as Slack, Discord or Teams URLs do: a secret too.
    secrets['webhook URL token (path)'] = randomBytes(16).toString('hex');
    secrets['webhook URL token (query)'] = randomBytes(16).toString('hex');
    secrets['webhook secret'] = (
      await gql<{ createWebhook: { secret: string } }>(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`, {
        input: { url: `${receiver.url}/${secrets['webhook URL token (path)']}?token=${secrets['webhook URL token (query)']}`, events: ['budget.threshold'] },
      })
    ).createWebhook.secret;
    // A dollar a token, so one answer (output capped at 16 tokens) crosses the budget's 1% alert and a webhook is delivered.
    await gql(
      `mutation { setCustomModelPrice(input: { model: "gpt-4o-mini", provider: OPENAI_COMPATIBLE, inputPrice: "1000000.00", outputPrice: "1000000.00" }) { model } }`,
      {},
    );
    await gql(`mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }`, {
      input: { name: 'org', scopeKind: 'ORG', period: 'DAY', limit: '1000.00', action: 'BLOCK', alertThresholds: [1] },
    });
    secrets['Keyward key'] = (await system.createKey()).secret;
    secrets['Keyward key (unused)'] = (await system.createKey({ name: 'second' })).secret;
    // Sign-in codes: one used (it opens a session), one requested and left pending.
    const email = (await db.query<{ email: string }>('select email from users where id = $1', [system.owner.userId])).rows[0]!.email;
    const requestCode = async () => {
      const res = await system.cp.gql('mutation($email: String!) { requestSignInCode(email: $email) }', { email });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      const mail = system.cp.services.mailer.outbox!.filter((m) => m.to === email).at(-1)!;
      return /code is: (\d{6})/.exec(mail.text)![1]!;
    };
    codes['sign-in code (used)'] = await requestCode();
    const signedIn = await system.cp.gql('mutation($email: String!, $code: String!) { signInWithCode(email: $email, code: $code) { role } }', {
      email,
      code: codes['sign-in code (used)'],
    });
    secrets['session cookie'] = sessionCookieOf(signedIn)!;
    codes['sign-in code (pending)'] = await requestCode();
    // The person who signs in to the console: their password, and a session of theirs the browser never holds.
    secrets['password'] = world.operator.password;
    secrets['session (another device)'] = world.operator.session;

    const key = secrets['Keyward key'];
    await waitForKeyOnNode(system, key);
    const openai = new OpenAI({ apiKey: key, baseURL: `${system.dp.url}/v1`, maxRetries: 0, timeout: 120_000 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hello' }] });
    for await (const chunk of stream) void chunk;
    // A refused request: a key with a wrong last character.
    const wrong = await fetch(`${system.dp.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    ({ call: heldCall } = await holdOneCall(openai));
    await eventually(() => (receiver.deliveries.length > 0 ? true : undefined), 15_000, 'the budget alert webhook');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await receiver?.close();
    await world?.close();
  });

  /**
   * Attaches the hold policy and calls with a shell tool until a call is held (the policy
   * reaches the node a moment after it is attached); resolves with that call, still waiting
   * (wrapped: an async function returning the promise itself would wait for it).
   */
  async function holdOneCall(openai: OpenAI): Promise<{ call: Promise<'answered' | 'failed'> }> {
    const policy = await system.owner.gql<{ createPolicy: { id: string } }>('mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }', {
      input: { source: HOLD_POLICY },
    });
    const attached = await system.owner.gql('mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }', { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();
    const pending = async () =>
      (await system.owner.gql<{ approvals: { nodes: unknown[] } }>('{ approvals(filter: { status: [PENDING] }, first: 1) { nodes { id } } }')).data!.approvals
        .nodes.length > 0;
    return eventually(
      async () => {
        const call = openai.chat.completions
          .create({
            model: 'gpt-4o-mini',
            max_tokens: 16,
            tools: [{ type: 'function', function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } }],
            messages: [{ role: 'user', content: 'Free some disk space' }],
          })
          .then(
            () => 'answered' as const,
            () => 'failed' as const,
          );
        const outcome = await eventually(
          async () => ((await pending()) ? 'held' : await Promise.race([call, new Promise<undefined>((r) => setTimeout(r, 100))])),
          10_000,
          'the call to be held or answered',
        );
        return outcome === 'held' ? { call } : undefined;
      },
      30_000,
      'a held call',
    );
  }

  it('shows the console’s owner none of them, and each secret the console creates only in its creation answer', { timeout: 120_000 }, async () => {
    const started = performance.now();
    const owner = await openConsolePage(browser, DESKTOP);
    const { page } = owner;
    // Signed out, the console sends Keys to Sign-in and back after the password.
    await page.goto(`${world.consoleUrl}/keys`);
    await page.waitForURL(/\/login/);
    await fillSignIn(page, world.operator);
    await screenTitle(page, 'Keys').waitFor();
    shownOnce['Keyward key (console)'] = await createWithSecretShownOnce(page, 'create-key', 'Create a key', { Name: 'console key', Owner: 'scan-agent' });
    await tableRows(page, 'console key').waitFor();
    await page.getByRole('link', { name: 'agent key', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'agent key' }).waitFor();
    await page.locator('[data-test=recent-request]').first().waitFor();

    await openScreen(page, 'Provider credentials');
    await tableRows(page, `••••${secrets['provider credential']!.slice(-4)}`).waitFor();

    await openScreen(page, 'API tokens');
    shownOnce['API token (console)'] = await createWithSecretShownOnce(page, 'create-token', 'Create an API token', { Name: 'console token' });
    await tableRows(page, 'console token').waitFor();

    await openScreen(page, 'Data-plane nodes');
    shownOnce['node token (console)'] = await createWithSecretShownOnce(page, 'create-node-token', 'Create a node token', { Name: 'console node' });
    await tableRows(page, 'console node').waitFor();
    await page.getByText('system-node').first().waitFor();

    await openScreen(page, 'Webhooks & Slack');
    shownOnce['webhook secret (console)'] = await createWithSecretShownOnce(page, 'add-webhook', 'Add a webhook', {
      'Endpoint URL': `${receiver.url}/console`,
    });
    // Both webhooks show as the receiver's scheme and host; the first listed (oldest) is the one alerts went to.
    await page
      .getByRole('button', { name: `Actions for ${new URL(receiver.url).origin}/…`, exact: true })
      .first()
      .click();
    await page.locator('.n-dropdown-option', { hasText: 'Deliveries' }).click();
    await page.locator('[data-test=deliveries] li').first().waitFor();
    await page.keyboard.press('Escape');

    await openScreen(page, 'Approvals');
    const card = page.locator('[data-test^="approval-"]').first();
    await card.locator('[data-test=approve]').click();
    const confirm = dialog(page, 'Approve this request?');
    await confirm.locator('[data-test=decision-reason]').locator('textarea, input').first().fill('Scanned, go ahead');
    await confirm.locator('[data-test=confirm-decision]').click();
    expect(await heldCall).toBe('answered');
    await page.getByText('Nothing is waiting').waitFor();

    // The live feed is open when a request arrives, so the subscription's frames carry its event.
    await openScreen(page, 'Requests');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const openai = new OpenAI({ apiKey: secrets['Keyward key'], baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'watched live' }] });
    const liveEvent = (payload: string) =>
      payload.includes('"type":"next"') && payload.includes('"usageEvents"') && payload.includes(`"keyPrefix":"${displayPrefix(secrets['Keyward key']!)}"`);
    await expect.poll(() => owner.frames.some((f) => !f.sent && liveEvent(f.payload))).toBe(true);
    await tableRows(page, 'agent key').first().waitFor();
    await page.locator('.n-tabs-tab', { hasText: 'History' }).click();
    await tableRows(page, 'agent key').first().click();
    await page.locator('[data-test=event-key]').waitFor();
    await page.keyboard.press('Escape');

    await openScreen(page, 'Admin activity');
    await page.locator('.n-data-table-tbody .n-data-table-tr').first().waitFor();
    await openScreen(page, 'Audit trail');
    await page.locator('[data-test=trail-rows] .n-data-table-tbody .n-data-table-tr').first().waitFor();
    await openScreen(page, 'Members');
    await page.getByText(world.operator.email).first().waitFor();
    await page.locator('[data-test=account]').click();
    await screenTitle(page, 'Your account').waitFor();
    await page.locator('[data-test=session-current]').waitFor();
    await settle(page);

    const places = await placesSeen(owner);
    const responses = Object.keys(places).filter((p) => p.startsWith('response '));
    const frames = Object.keys(places).filter((p) => p.startsWith('frame '));
    console.log(
      `console traffic scan: ${responses.length} responses and ${frames.length} WebSocket frames in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    // The scan is not blind: every answer but a redirect was read, the live feed's frames carry the request, the answers carry the credential's last four characters and the new key's prefix.
    expect((await owner.responses()).filter((r) => r.body === null && (r.status < 300 || r.status >= 400)).map((r) => r.url)).toEqual([]);
    expect(responses.length).toBeGreaterThan(100);
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(frames.filter((f) => liveEvent(places[f]!)).length).toBeGreaterThan(0);
    const text = Object.values(places).join('\n');
    expect(text.includes(`"lastFour":"${secrets['provider credential']!.slice(-4)}"`)).toBe(true);
    expect(text.includes(`"prefix":"${displayPrefix(shownOnce['Keyward key (console)']!)}"`)).toBe(true);

    browserSession = (await owner.context.cookies()).find((c) => c.name === 'kw_session')!.value;
    const found = Object.fromEntries(
      Object.entries({ ...needles(), 'browser session': browserSession, ...shownOnce }).map(([name, needle]) => [name, storesHolding(places, needle)]),
    );
    // A GraphQL answer to `mutation`: its body (after the headers' line) opens with that field.
    const answersOf = (mutation: string) => responses.filter((p) => places[p]!.includes(`\n{"data":{"${mutation}":`));
    expect(found).toEqual({
      ...Object.fromEntries(Object.keys(needles()).map((name) => [name, []])),
      // The browser's own session: set by the sign-in answer, kept in the cookie jar, sent only in requests.
      'browser session': [...answersOf('signInWithPassword'), 'cookies'],
      ...Object.fromEntries(Object.entries(CREATION_ANSWERS).map(([name, mutation]) => [name, answersOf(mutation)])),
    });
    for (const mutation of Object.values(CREATION_ANSWERS)) expect(answersOf(mutation), mutation).toHaveLength(1);
    expect(owner.errors).toEqual([]);
    await owner.context.close();
  });

  it('finds none of them in PostgreSQL, the logs, the spool, exports, webhook payloads or metrics', async () => {
    await eventually(
      async () => ((await db.query('select count(*)::int as n from usage_events')).rows[0].n >= 2 ? true : undefined),
      15_000,
      'the events to be stored',
    );
    const metrics = await fetch(`${system.dp.url}/metrics`);
    expect(metrics.status).toBe(200);
    const stores: Record<string, string> = {
      ...(await storesText(system, db)),
      'webhook payloads': JSON.stringify(receiver.deliveries),
      'data-plane metrics': await metrics.text(),
    };
    // The scan is not blind: each sink has content, the credential's row (its last four characters shown in the console) is in the database text, and the alert was delivered.
    for (const [store, text] of Object.entries(stores)) expect(text.length, store).toBeGreaterThan(0);
    expect(stores.postgresql).toContain(secrets['provider credential']!.slice(-4));
    expect(stores['webhook payloads']).toContain('budget.threshold');
    const all = { ...needles(), 'browser session': browserSession, ...shownOnce };
    expect(Object.keys(all)).toHaveLength(19);
    expect(browserSession).not.toBe('');
    const found = Object.fromEntries(Object.entries(all).map(([name, needle]) => [name, storesHolding(stores, needle)]));
    expect(found).toEqual(Object.fromEntries(Object.keys(all).map((name) => [name, []])));
  });

  /** The secrets made before the console opened, and the codes as patterns. */
  function needles(): Record<string, string | RegExp> {
    return {
      ...secrets,
      ...Object.fromEntries(Object.entries(codes).map(([name, code]) => [name, new RegExp(`(?<![\\d.])${code}(?!\\d)`)])),
    };
  }
});
