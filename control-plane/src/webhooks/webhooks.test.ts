import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { heldRequest, postApproval, startReceiver, type Receiver } from '../testing/approval-fixtures.js';
import {
  addMember,
  createLocalKmsFile,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  type LocalKmsFile,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { MAX_DELIVERY_ATTEMPTS } from './delivery-worker.js';
import { notify } from './notify.js';
import { verifyWebhookSignature } from './signing.js';
import { sealPlainWebhookUrls } from './webhook-url.js';

const CREATE =
  'mutation($url: String!, $events: [String!]!) { createWebhook(input: { url: $url, events: $events }) { secret webhook { id kind url urlHint events } } }';
const DELIVERIES =
  'query($id: ID!) { webhookDeliveries(webhookId: $id) { id event status attempts lastStatusCode lastError nextAttemptAt deliveredAt payload } }';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let receiver: Receiver;
const secrets: string[] = [];

interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  payload: any;
}

async function createWebhook(member: OrgMember, path: string, events = ['budget.threshold']) {
  const res = await member.gql<{ createWebhook: { secret: string; webhook: { id: string; kind: string; url: string; urlHint: string; events: string[] } } }>(
    CREATE,
    {
      url: `${receiver.url}${path}`,
      events,
    },
  );
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  secrets.push(res.data!.createWebhook.secret);
  return res.data!.createWebhook;
}

async function deliveriesOf(member: OrgMember, webhookId: string): Promise<Delivery[]> {
  const res = await member.gql<{ webhookDeliveries: Delivery[] }>(DELIVERIES, { id: webhookId });
  expect(res.errors).toBeUndefined();
  return res.data!.webhookDeliveries;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Makes every waiting delivery due now, as if its backoff had passed, and wakes the worker. */
async function skipBackoff(): Promise<void> {
  await cp.services.orm.em.fork().getConnection().execute(`update webhook_deliveries set next_attempt_at = now() where status = 'pending'`);
  cp.services.deliveryWorker.wake();
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  receiver = await startReceiver();
  cp = await startTestControlPlane(inject('pgAdminUrl'), kms.env);
});

afterAll(async () => {
  expect(findSecretsInLogs(cp?.logs ?? [], secrets.filter(Boolean))).toEqual([]);
  await cp?.close();
  await receiver?.close();
  await kms?.remove();
});

describe('webhooks', () => {
  it('are created with a secret shown once and delivered signed, with the event and delivery id', async () => {
    const owner = await createOrgWithMember(cp, 'admin');
    secrets.push(owner.token);
    const path = `/budget/${randomUUID()}`;
    const { secret, webhook } = await createWebhook(owner, path, ['budget.threshold', 'budget.threshold']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ kind: 'WEBHOOK', url: null, urlHint: `${new URL(receiver.url).origin}/…`, events: ['budget.threshold'] });

    const listed = await owner.gql<{ webhooks: unknown[] }>('{ webhooks { id kind url urlHint events createdBy createdAt } }');
    expect(JSON.stringify(listed.data)).not.toContain(secret);

    const queued = await notify(cp.services, owner.orgId, 'budget.threshold', { budgetId: randomUUID(), threshold: 80, spentMicros: 8_000_000 });
    expect(queued).toBe(1);
    const got = await receiver.waitFor((r) => r.path === path);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-keyward-event']).toBe('budget.threshold');
    const signature = String(got.headers['x-keyward-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, got.body, signature)).toBe(true);
    expect(verifyWebhookSignature(secret, got.body, signature, { now: new Date(Date.now() + 3600_000) })).toBe(false);
    expect(got.json).toMatchObject({ id: got.headers['x-keyward-delivery'], type: 'budget.threshold', organizationId: owner.orgId, data: { threshold: 80 } });

    const [delivery] = await until(
      () => deliveriesOf(owner, webhook.id),
      (d) => d[0]?.status === 'DELIVERED',
    );
    expect(delivery).toMatchObject({ id: got.json.id, event: 'budget.threshold', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
  });

  it('keep a token in their URL secret: sealed, shown as scheme and host, never audited or logged', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    const [pathToken, queryToken] = [randomUUID(), randomUUID()];
    secrets.push(owner.token, pathToken, queryToken);
    const path = `/hooks/${pathToken}?token=${queryToken}`;
    const { webhook } = await createWebhook(owner, path);
    const shown = `${new URL(receiver.url).origin}/…`;
    expect(webhook).toMatchObject({ url: null, urlHint: shown });
    const listed = await owner.gql<{ webhooks: { url: string | null; urlHint: string }[] }>('{ webhooks { url urlHint } }');
    expect(listed.data!.webhooks).toEqual([{ url: null, urlHint: shown }]);
    const audit = await owner.gql<{ auditLog: { entries: { args: any }[] } }>('{ auditLog(filter: { action: "createWebhook" }) { entries { args } } }');
    expect(audit.data!.auditLog.entries[0]!.args.input.url).toBe(shown);
    const rowText = async (id: string) => JSON.stringify(await cp.services.orm.em.fork().getConnection().execute('select * from webhooks where id = ?', [id]));
    for (const token of [pathToken, queryToken]) expect(await rowText(webhook.id)).not.toContain(token);

    await notify(cp.services, owner.orgId, 'budget.threshold', { budgetId: randomUUID(), threshold: 80, spentMicros: 8_000_000 });
    await receiver.waitFor((r) => r.path === path);

    // A row an earlier release wrote, with its URL in plain text: shown masked, delivered, and sealed at the next start.
    const legacyToken = randomUUID();
    secrets.push(legacyToken);
    const legacyUrl = `${receiver.url}/legacy/${legacyToken}`;
    const legacy = await createWebhook(owner, '/to-be-replaced');
    await cp.services.orm.em
      .fork()
      .getConnection()
      .execute('update webhooks set url = ?, url_hint = ?, sealed_url = null where id = ?', [legacyUrl, legacyUrl, legacy.webhook.id]);
    const before = await owner.gql<{ webhooks: { id: string; urlHint: string }[] }>('{ webhooks { id urlHint } }');
    expect(before.data!.webhooks.find((w) => w.id === legacy.webhook.id)!.urlHint).toBe(shown);
    await sealPlainWebhookUrls(cp.services);
    expect(await rowText(legacy.webhook.id)).not.toContain(legacyToken);
    await notify(cp.services, owner.orgId, 'budget.threshold', { budgetId: randomUUID(), threshold: 90, spentMicros: 9_000_000 });
    await receiver.waitFor((r) => r.path === `/legacy/${legacyToken}`);
  });

  it('retry a failed delivery with backoff, keep the same delivery id, and give up after the last attempt', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    secrets.push(owner.token);
    const path = `/flaky/${randomUUID()}`;
    const { webhook } = await createWebhook(owner, path);
    let answers = [500, 503];
    receiver.respond = (req) => (req.path === path ? (answers.shift() ?? 200) : 200);

    await notify(cp.services, owner.orgId, 'budget.threshold', { threshold: 50 });
    let [delivery] = await until(
      () => deliveriesOf(owner, webhook.id),
      (d) => d[0]?.attempts === 1,
    );
    expect(delivery).toMatchObject({ status: 'PENDING', lastStatusCode: 500, lastError: 'the endpoint answered HTTP 500' });
    const wait = Date.parse(delivery!.nextAttemptAt!) - Date.now();
    expect(wait).toBeGreaterThan(5_000);
    expect(wait).toBeLessThan(12_000);

    await skipBackoff();
    [delivery] = await until(
      () => deliveriesOf(owner, webhook.id),
      (d) => d[0]?.attempts === 2,
    );
    expect(delivery).toMatchObject({ status: 'PENDING', lastStatusCode: 503 });
    expect(Date.parse(delivery!.nextAttemptAt!) - Date.now()).toBeGreaterThan(40_000);

    await skipBackoff();
    [delivery] = await until(
      () => deliveriesOf(owner, webhook.id),
      (d) => d[0]?.status === 'DELIVERED',
    );
    expect(delivery!.attempts).toBe(3);
    const ids = new Set(receiver.requests.filter((r) => r.path === path).map((r) => r.headers['x-keyward-delivery']));
    expect(ids).toEqual(new Set([delivery!.id]));

    answers = Array(MAX_DELIVERY_ATTEMPTS).fill(500);
    await notify(cp.services, owner.orgId, 'budget.threshold', { threshold: 100 });
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      await until(
        () => deliveriesOf(owner, webhook.id),
        (d) => d[0]?.attempts === attempt,
      );
      await skipBackoff();
    }
    const [failed] = await deliveriesOf(owner, webhook.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: MAX_DELIVERY_ATTEMPTS, nextAttemptAt: null });
    receiver.respond = () => 200;
  });

  it('refuse URLs that are not public https, and unknown events', async () => {
    const owner = await createOrgWithMember(cp, 'admin');
    secrets.push(owner.token);
    const cases: [string, string[], RegExp][] = [
      ['http://10.0.0.7/hook', ['approval.requested'], /^url: the URL may use plain http only for a loopback host; use https for 10\.0\.0\.7\.$/],
      ['https://10.0.0.7/hook', ['approval.requested'], /^url: the URL host 10\.0\.0\.7 is a private/],
      ['https://169.254.169.254/latest', ['approval.requested'], /^url: the URL host 169\.254\.169\.254 is/],
      ['https://user:pw@hooks.example.com/x', ['approval.requested'], /^url: the URL must not contain a user name or password/],
      ['ftp://hooks.example.com/x', ['approval.requested'], /^url: the URL must use https \(got "ftp:"\)\.$/],
      [
        'https://hooks.example.com/x',
        ['approval.granted'],
        /^events: "approval\.granted" is not an event \(expected approval\.requested, approval\.decided, budget\.threshold, pool_key\.revealed, pool_key\.link_resent, pool_key\.rotated, pool_key\.revoked, pool_key\.expired, pool_key\.limit_hit, anomaly\.detected\)\.$/,
      ],
    ];
    for (const [url, events, message] of cases) {
      const res = await owner.gql(CREATE, { url, events });
      expect(res.errors?.[0].extensions?.code, url).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message, url).toMatch(message);
      expect(JSON.stringify(res.errors)).not.toContain('pw@');
    }
    const none = await owner.gql(CREATE, { url: 'https://hooks.example.com/x', events: [] });
    expect(none.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('are managed by admins and owners only, and stay inside their organization', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    const developer = await addMember(cp, owner.orgId, 'developer');
    const other = await createOrgWithMember(cp, 'owner');
    secrets.push(owner.token, developer.token, other.token);
    const { webhook } = await createWebhook(owner, `/iso/${randomUUID()}`);
    expect((await developer.gql('{ webhooks { id } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await other.gql<{ webhooks: unknown[] }>('{ webhooks { id } }')).data!.webhooks).toEqual([]);
    expect((await other.gql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await other.gql(DELIVERIES, { id: webhook.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await owner.gql<{ deleteWebhook: string }>('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id })).data!.deleteWebhook).toBe(
      webhook.id,
    );
    expect((await owner.gql<{ webhooks: unknown[] }>('{ webhooks { id } }')).data!.webhooks).toEqual([]);
  });
});

describe('the Slack integration', () => {
  it('keeps its URL secret: sealed, never returned, never logged or audited', async () => {
    const owner = await createOrgWithMember(cp, 'owner');
    const token = `${randomUUID().replace(/-/g, '')}XyZ9`;
    const slackPath = `/services/T0001/B0002/${token}`;
    secrets.push(owner.token, token);
    const set = await owner.gql<{ createSlackIntegration: { id: string; kind: string; url: string | null; urlHint: string; events: string[] } }>(
      'mutation($u: String!) { createSlackIntegration(input: { secretUrl: $u }) { id kind url urlHint events } }',
      { u: `${receiver.url}${slackPath}` },
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.createSlackIntegration).toMatchObject({
      kind: 'SLACK',
      url: null,
      urlHint: `${new URL(receiver.url).host}/services/…XyZ9`,
      events: ['approval.requested', 'approval.decided'],
    });

    const row = await cp.services.orm.em
      .fork()
      .getConnection()
      .execute('select url, ciphertext from webhooks where id = ?', [set.data!.createSlackIntegration.id]);
    expect(row[0].url).toBeNull();
    expect(JSON.stringify(row)).not.toContain(token);

    const replaced = await owner.gql<{ createSlackIntegration: { id: string } }>(
      'mutation($u: String!) { createSlackIntegration(input: { secretUrl: $u, events: ["approval.requested"] }) { id } }',
      { u: `${receiver.url}${slackPath}` },
    );
    expect(replaced.data!.createSlackIntegration.id).toBe(set.data!.createSlackIntegration.id);

    const key = await owner.gql<{ createKey: { key: { id: string }; secret: string } }>(
      'mutation { createKey(input: { name: "k", ownerLabel: "o" }) { key { id } secret } }',
    );
    secrets.push(key.data!.createKey.secret);
    const nodeToken = await createNodeTokenFor(owner);
    secrets.push(nodeToken);
    const message = heldRequest(owner.orgId, key.data!.createKey.key.id);
    await postApproval(cp.url, nodeToken, message);
    const slack = await receiver.waitFor((r) => r.path === slackPath && JSON.stringify(r.json).includes(message.id));
    expect(slack.json.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Approval needed' } });
    for (const link of slack.json.blocks.find((b: any) => b.type === 'actions').elements) secrets.push(new URL(link.url).searchParams.get('t')!);

    const audit = await owner.gql<{ auditLog: { entries: { action: string; args: any }[] } }>(
      '{ auditLog(filter: { action: "createSlackIntegration" }) { entries { action args } } }',
    );
    expect(audit.data!.auditLog.entries[0].args.input.secretUrl).toBe('[redacted]');
    expect(JSON.stringify(audit.data)).not.toContain(token);

    expect((await owner.gql('mutation { deleteSlackIntegration }')).data).toEqual({ deleteSlackIntegration: true });
    expect((await owner.gql('mutation { deleteSlackIntegration }')).errors?.[0]).toMatchObject({ message: 'This organization has no Slack integration.' });
  });
});
