import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chatThrough } from './support/openai-call.js';
import { startPoolSystem, type PoolSystem } from './support/pool-system.js';
import type { SmtpInbox } from './support/smtp-inbox.js';
import { eventually, type TestSystem } from './support/system.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

type Notice = Record<string, unknown> & { summary: string; email: string };

interface Entry {
  actor: string;
  action: string;
  targetId: string | null;
  ipHash: string;
  args: Record<string, unknown> & { summary: string; email: string };
}

const POOL_KEY_EVENTS = ['revealed', 'link_resent', 'rotated', 'revoked', 'expired', 'limit_hit'].map((kind) => `pool_key.${kind}`);
const ACTIONS = ['poolKeyRevealed', 'poolKeyLinkResent', 'poolKeyRotated', 'poolKeyRevoked', 'poolKeyExpired', 'poolKeyLimitHit'];

/**
 * What happens to a pool recipient's key reaches its owner: each reveal, re-sent link, rotation,
 * revocation, expiry and limit hit is an audit record with a sentence saying what happened, and a
 * notification to the organization's webhook. Limit hits come from the node's refused calls, once
 * per key and period however many calls a loop makes.
 */
describe('audit records and notifications of pool keys', () => {
  let system: TestSystem;
  let inbox: SmtpInbox;
  let world: PoolSystem;
  let receiver: WebhookReceiver<Notice>;
  let deliveries: WebhookReceiver<Notice>['deliveries'];
  const secrets: string[] = [];
  let poolId: string;

  const anonymous = async <T>(query: string, variables: Record<string, unknown>, cookie = '') => {
    const res = await fetch(`${system.cp.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('kw_recipient='));
    return { body: (await res.json()) as { data?: T; errors?: { message: string }[] }, cookie: set?.split(';')[0] ?? cookie };
  };
  const linkIn = (text: string) => /https?:\/\/\S+\/key#([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  const reveal = async (email: string, nth = 0) => {
    const mail = await eventually(() => inbox.messages.filter((m) => m.to.includes(email) && linkIn(m.text))[nth], 10_000, `link ${nth} of ${email}`);
    const { body } = await anonymous<{ revealPoolKey: { secret: string } }>('mutation($t: String!) { revealPoolKey(token: $t) { secret } }', {
      t: linkIn(mail.text),
    });
    expect(body.errors).toBeUndefined();
    secrets.push(body.data!.revealPoolKey.secret);
    return body.data!.revealPoolKey.secret;
  };
  const call = (secret: string) => chatThrough(system.dp.url, secret);
  const entries = async (action: string) =>
    (
      await system.owner.gql<{ auditLog: { entries: Entry[] } }>(
        'query($a: String!) { auditLog(filter: { action: $a }) { entries { actor action targetId ipHash args } } }',
        { a: action },
      )
    ).data!.auditLog.entries;
  const refusedEvents = async (keyId: string, decision: string) =>
    (
      await system.owner.gql<{ usageEvents: { nodes: { id: string }[] } }>(
        'query($k: ID!, $d: Decision!) { usageEvents(first: 100, filter: { keyId: $k, decision: $d }) { nodes { id } } }',
        { k: keyId, d: decision },
      )
    ).data!.usageEvents.nodes.length;
  const recipients = async () =>
    (
      await system.owner.gql<{ poolRecipients: { id: string; email: string; keyId: string }[] }>(
        'query($p: ID!) { poolRecipients(poolId: $p) { id email keyId } }',
        { p: poolId },
      )
    ).data!.poolRecipients;
  const nodeVersion = () => system.dp.node.readiness().version ?? 0;
  const reachesNode = async (before: number) => eventually(() => (nodeVersion() > before ? true : undefined), 10_000, 'the change to reach the node');

  beforeAll(async () => {
    let credentialId: string;
    ({ system, inbox, credentialId } = world = await startPoolSystem(inject('pgAdminUrl')));
    receiver = await startWebhookReceiver<Notice>();
    deliveries = receiver.deliveries;
    const hook = await system.owner.gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`, {
      input: { url: receiver.url, events: POOL_KEY_EVENTS },
    });
    expect(hook.errors).toBeUndefined();
    const pool = await system.owner.gql<{ createPool: { id: string } }>('mutation($input: CreatePoolInput!) { createPool(input: $input) { id } }', {
      input: { name: 'Lab', credentialIds: [credentialId], allowedModels: ['gpt-4o-mini'], budgetPeriod: 'DAY' },
    });
    expect(pool.errors).toBeUndefined();
    poolId = pool.data!.createPool.id;
    const imported = await system.owner.gql('mutation($p: ID!, $csv: String!) { importPoolRecipients(poolId: $p, csv: $csv) { id } }', {
      p: poolId,
      csv: 'email,name,budget,requests_per_minute\nalice@example.com,Alice,0.001,\nbob@example.com,Bob,,1\n',
    });
    expect(imported.errors).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await world?.close();
    await receiver?.close();
  });

  it('records each reveal as "key revealed to <email> from <hashed address>" and notifies the webhook', async () => {
    const before = nodeVersion();
    await reveal('alice@example.com');
    await reveal('bob@example.com');
    await reachesNode(before);
    const revealed = await entries('poolKeyRevealed');
    expect(revealed.map((e) => e.args.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    for (const entry of revealed) {
      expect(entry.actor).toBe(`recipient ${entry.args.email}`);
      expect(entry.ipHash).toMatch(/^[0-9a-f]{32}$/);
      expect(entry.args.summary).toBe(`key revealed to ${entry.args.email} from ${entry.ipHash}`);
    }
    const notified = await eventually(
      () => {
        const found = deliveries.filter((d) => d.type === 'pool_key.revealed');
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'two reveal notifications',
    );
    expect(notified.map((d) => d.data.summary).sort()).toEqual(revealed.map((e) => e.args.summary).sort());
  });

  it('reports a loop of budget refusals once per key and budget period, and of rate-limit refusals once per hour', async () => {
    const [alice, bob] = await recipients();
    const aliceSecret = secrets[0];
    const bobSecret = secrets[1];
    await eventually(async () => ((await call(aliceSecret))?.status === 429 ? true : undefined), 20_000, 'the budget to refuse a call');
    for (let i = 0; i < 4; i++) expect(await call(aliceSecret)).toMatchObject({ status: 429, code: 'budget_exceeded' });
    // One request per minute: the second and third are refused.
    const bobCalls = [await call(bobSecret), await call(bobSecret), await call(bobSecret)];
    expect(bobCalls.filter((e) => e?.status === 429).length).toBeGreaterThanOrEqual(2);

    // Wait until every refusal is stored, then there is still one record per key.
    await eventually(async () => ((await refusedEvents(alice.keyId, 'BUDGET_EXCEEDED')) >= 5 ? true : undefined), 20_000, "alice's refused events");
    await eventually(async () => ((await refusedEvents(bob.keyId, 'RATE_LIMITED')) >= 2 ? true : undefined), 20_000, "bob's refused events");
    const hits = await eventually(
      async () => {
        const found = await entries('poolKeyLimitHit');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      'the limit-hit records',
    );
    expect(hits).toHaveLength(2);
    const today = new Date().toISOString().slice(0, 10);
    const hour = new Date().toISOString().slice(0, 13);
    const aliceHit = hits.find((e) => e.targetId === alice.id)!;
    expect(aliceHit.actor).toMatch(/^node:/);
    expect(aliceHit.args).toMatchObject({ email: 'alice@example.com', pool: 'Lab', limit: 'budget', refusal: 'budget_exceeded', period: today });
    expect(aliceHit.args.summary).toMatch(
      /^key of alice@example\.com refused by its budget \(budget_exceeded\) from [0-9a-f]+; reported once per budget period /,
    );
    const bobHit = hits.find((e) => e.targetId === bob.id)!;
    expect(bobHit.args).toMatchObject({ email: 'bob@example.com', limit: 'rate limit', period: hour });

    const notified = await eventually(
      () => {
        const found = deliveries.filter((d) => d.type === 'pool_key.limit_hit');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      'the limit-hit notifications',
    );
    expect(notified.map((d) => d.data.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('records a re-sent link, a rotation by the recipient and a revocation, each notified', async () => {
    const [alice, bob] = await recipients();
    const resent = await system.owner.gql('mutation($id: ID!) { resendPoolKeyLink(recipientId: $id) { id } }', { id: bob.id });
    expect(resent.errors).toBeUndefined();

    // Alice signs in to her own page with an emailed code and rotates her key.
    let cookie = (await anonymous('mutation { requestRecipientCode(email: "alice@example.com") }', {})).cookie;
    const mail = await eventually(
      () => inbox.messages.find((m) => m.to.includes('alice@example.com') && /Your code is: \d{6}/.test(m.text)),
      10_000,
      'the code',
    );
    const signedIn = await anonymous(
      'mutation($c: String!) { signInAsRecipient(email: "alice@example.com", code: $c) }',
      {
        c: /Your code is: (\d{6})/.exec(mail.text)![1],
      },
      cookie,
    );
    cookie = signedIn.cookie;
    const rotated = await anonymous<{ rotateMyPoolKey: { secret: string } }>(
      'mutation($id: ID!) { rotateMyPoolKey(recipientId: $id) { secret } }',
      { id: alice.id },
      cookie,
    );
    expect(rotated.body.errors).toBeUndefined();
    secrets.push(rotated.body.data!.rotateMyPoolKey.secret);

    const revoke = await system.owner.gql('mutation($p: ID!, $ids: [ID!]!) { updatePoolRecipients(poolId: $p, recipientIds: $ids, action: REVOKE) { id } }', {
      p: poolId,
      ids: [bob.id],
    });
    expect(revoke.errors).toBeUndefined();
    // Revoking a revoked key again is no new event.
    await system.owner.gql('mutation($p: ID!, $ids: [ID!]!) { updatePoolRecipients(poolId: $p, recipientIds: $ids, action: REVOKE) { id } }', {
      p: poolId,
      ids: [bob.id],
    });

    expect((await entries('poolKeyLinkResent')).map((e) => [e.targetId, e.args.summary, e.actor])).toEqual([
      [bob.id, 'new key link emailed to bob@example.com', expect.stringMatching(/^(user|token):/)],
    ]);
    const rotation = await entries('poolKeyRotated');
    expect(rotation.map((e) => [e.targetId, e.actor, e.args.summary])).toEqual([
      [alice.id, 'recipient alice@example.com', `key of alice@example.com rotated from ${rotation[0].ipHash}`],
    ]);
    expect((await entries('poolKeyRevoked')).map((e) => [e.targetId, e.args.summary])).toEqual([[bob.id, 'key of bob@example.com revoked']]);
    for (const type of ['pool_key.link_resent', 'pool_key.rotated', 'pool_key.revoked']) {
      await eventually(() => (deliveries.filter((d) => d.type === type).length === 1 ? true : undefined), 10_000, `one ${type} notification`);
    }
  });

  it('records each expiry once when the pool expires, and never a revoked key’s', async () => {
    const [alice] = await recipients();
    const expired = await system.owner.gql('mutation($id: ID!) { expirePool(id: $id) { status } }', { id: poolId });
    expect(expired.errors).toBeUndefined();
    const records = await eventually(
      async () => {
        const found = await entries('poolKeyExpired');
        return found.length > 0 ? found : undefined;
      },
      15_000,
      'the expiry record',
    );
    expect(records.map((e) => [e.targetId, e.actor])).toEqual([[alice.id, 'keyward']]);
    expect(records[0].args.summary).toMatch(/^key of alice@example\.com expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const notified = await eventually(
      () => {
        const found = deliveries.filter((d) => d.type === 'pool_key.expired');
        return found.length > 0 ? found : undefined;
      },
      10_000,
      'the expiry notification',
    );
    expect(notified.map((d) => d.data.email)).toEqual(['alice@example.com']);
  });

  it('puts no key secret or link token in an audit record, a notification or a log line', async () => {
    const everything = JSON.stringify([deliveries, ...(await Promise.all(ACTIONS.map(entries)))]);
    const logs = system.allLogs().join('\n');
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    for (const mail of inbox.messages) {
      const token = linkIn(mail.text);
      if (!token) continue;
      expect(everything).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    expect(everything).not.toMatch(/kw_[A-Za-z0-9]{20,}/);
  });
});
