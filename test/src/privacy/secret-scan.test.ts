import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionCookieOf } from '@keyward/control-plane/testing';
import { storesHolding, storesText } from '../support/stores.js';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Every secret a realistic session creates — a provider credential, Keyward keys, the owner's
 * API token, the node token and a node token created through GraphQL, a webhook signing
 * secret, two emailed sign-in codes (one used, one left pending) and the session the used one
 * opened — is looked for, after requests (plain and streamed, one refused), in every sink:
 * PostgreSQL (every row of every table as text), both planes' logs, the node's state directory
 * (event spool, last known good config), a usage-event export, the webhook payloads and the
 * node's metrics. Only hashes may be stored, so none may be found.
 */
describe('secrets in every sink', () => {
  let system: TestSystem;
  let db: pg.Client;
  let receiver: WebhookReceiver<Record<string, unknown>>;
  const secrets: Record<string, string> = {};
  /** Six digits: looked for as a number of their own, not inside longer ones or a timestamp's microseconds. */
  const codes: Record<string, string> = {};

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
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
    secrets['webhook secret'] = (
      await gql<{ createWebhook: { secret: string } }>(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`, {
        input: { url: receiver.url, events: ['budget.threshold'] },
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
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await system?.close();
  });

  it('finds none of them in PostgreSQL, the logs, the spool, exports, webhook payloads or metrics', async () => {
    const key = secrets['Keyward key'];
    await eventually(
      async () => ((await fetch(`${system.dp.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status === 200 ? true : undefined),
      10_000,
      'the key to reach the node',
    );
    const openai = new OpenAI({ apiKey: key, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
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
    await eventually(
      async () => ((await db.query('select count(*)::int as n from usage_events')).rows[0].n >= 2 ? true : undefined),
      15_000,
      'the events to be stored',
    );
    await eventually(() => (receiver.deliveries.length > 0 ? true : undefined), 15_000, 'the budget alert webhook');

    const metrics = await fetch(`${system.dp.url}/metrics`);
    expect(metrics.status).toBe(200);
    const stores: Record<string, string> = {
      ...(await storesText(system, db)),
      'webhook payloads': JSON.stringify(receiver.deliveries),
      'data-plane metrics': await metrics.text(),
    };
    // The scan is not blind: each sink has content, the credential's row (its last four characters shown in the console) is in the database text, and the alert was delivered.
    for (const [store, text] of Object.entries(stores)) expect(text.length, store).toBeGreaterThan(0);
    expect(stores.postgresql).toContain(secrets['provider credential'].slice(-4));
    expect(stores['webhook payloads']).toContain('budget.threshold');
    const needles: Record<string, string | RegExp> = {
      ...secrets,
      ...Object.fromEntries(Object.entries(codes).map(([name, code]) => [name, new RegExp(`(?<![\\d.])${code}(?!\\d)`)])),
    };
    expect(Object.keys(needles)).toHaveLength(10);
    const found = Object.fromEntries(Object.entries(needles).map(([name, needle]) => [name, storesHolding(stores, needle)]));
    expect(found).toEqual(Object.fromEntries(Object.keys(needles).map((name) => [name, []])));
  });
});
