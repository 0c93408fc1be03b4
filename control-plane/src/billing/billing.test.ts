import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { localDay } from '../budgets/periods.js';
import {
  addMember,
  createLocalKmsFile,
  createNodeTokenFor,
  createOrgWithMember,
  findSecretsInLogs,
  postEvents,
  usageEvent,
  type LocalKmsFile,
  type OrgMember,
} from '../testing/enforcement-fixtures.js';
import { gqlRequest, startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';

const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const STRIPE_KEY = `sk_test_${randomBytes(16).toString('hex')}`;
const BUDGET_FIELDS = 'id name scope { kind id } period limit limitMicros action alertThresholds enforced currentPeriod spent spentMicros percentUsed';

let cp: TestControlPlane;
let kms: LocalKmsFile;
let owner: OrgMember;
let nodeToken: string;
let keyId: string;
let otherKeyId: string;
const today = localDay(new Date(), 'UTC');

const createKey = async (member: OrgMember, name: string) => {
  const res = await member.gql<{ createKey: { key: { id: string }; secret: string } }>(
    'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }',
    { input: { name, ownerLabel: 'agent', allowedModels: [] } },
  );
  return res.data!.createKey.key.id;
};

const createBudget = (member: OrgMember, input: Record<string, unknown>) =>
  member.gql<{ createBudget: Record<string, unknown> & { id: string } }>(
    `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { ${BUDGET_FIELDS} } }`,
    { input },
  );

const spend = (orgId: string, key: string, costs: number[], model = 'gpt-4o-mini') =>
  postEvents(cp, nodeToken, { type: 'events', nodeId: 'node-a', events: costs.map((costMicros) => usageEvent(orgId, key, { costMicros, model })) });

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), {
    ...kms.env,
    KEYWARD_EDITION: 'service',
    STRIPE_SECRET_KEY: STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
  owner = await createOrgWithMember(cp, 'owner');
  nodeToken = await createNodeTokenFor(owner);
  keyId = await createKey(owner, 'crawler');
  otherKeyId = await createKey(owner, 'summarizer');
});

afterAll(async () => {
  await cp?.close();
  await kms?.remove();
});

describe('budgets and rate limits through GraphQL', () => {
  it('creates a budget from a dollar string and publishes it to nodes', async () => {
    const res = await createBudget(owner, { name: 'crawler daily', scopeKind: 'KEY', scopeId: keyId, period: 'DAY', limit: '25.50' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createBudget).toMatchObject({
      name: 'crawler daily',
      scope: { kind: 'KEY', id: keyId },
      period: 'DAY',
      limit: '25.50',
      limitMicros: 25_500_000,
      action: 'BLOCK',
      alertThresholds: [50, 80, 100],
      enforced: true,
      currentPeriod: today,
      spentMicros: 0,
    });
    const published = cp.services.configStore.collectionsOf(owner.orgId).budgets[res.data!.createBudget.id];
    expect(published).toEqual({
      id: res.data!.createBudget.id,
      orgId: owner.orgId,
      scope: { kind: 'key', id: keyId },
      period: 'day',
      limitMicros: 25_500_000,
      action: 'block',
      alertThresholds: [50, 80, 100],
      name: 'crawler daily',
      // What the key already spent this period, so nodes do not count from zero.
      spend: { periodKey: today, spentMicros: 0 },
    });
  });

  it('refuses amounts that are not exact dollar decimals, and scopes outside the organization', async () => {
    const bad = await createBudget(owner, { scopeKind: 'ORG', period: 'MONTH', limit: '1.0000001' });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const float = await createBudget(owner, { scopeKind: 'ORG', period: 'MONTH', limit: '1e3' });
    expect(float.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const foreign = await createBudget(owner, { scopeKind: 'TEAM', scopeId: '00000000-0000-4000-8000-000000000000', period: 'MONTH', limit: '5' });
    expect(foreign.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const missing = await createBudget(owner, { scopeKind: 'KEY', period: 'MONTH', limit: '5' });
    expect(missing.errors?.[0].message).toContain('scopeId is required');
  });

  it('updates and deletes a budget, and nodes follow', async () => {
    const { data } = await createBudget(owner, { scopeKind: 'ORG', period: 'WEEK', limit: '100' });
    const id = data!.createBudget.id;
    const updated = await owner.gql<{ updateBudget: { limit: string; period: string; alertThresholds: number[] } }>(
      `mutation($id: ID!, $input: UpdateBudgetInput!) { updateBudget(id: $id, input: $input) { limit period alertThresholds } }`,
      { id, input: { limit: '150.25', period: 'MONTH', alertThresholds: [90, 25, 90] } },
    );
    expect(updated.data!.updateBudget).toEqual({ limit: '150.25', period: 'MONTH', alertThresholds: [25, 90] });
    expect(cp.services.configStore.collectionsOf(owner.orgId).budgets[id]).toMatchObject({ limitMicros: 150_250_000, period: 'month' });
    const deleted = await owner.gql('mutation($id: ID!) { deleteBudget(id: $id) }', { id });
    expect(deleted.data).toEqual({ deleteBudget: id });
    expect(cp.services.configStore.collectionsOf(owner.orgId).budgets[id]).toBeUndefined();
  });

  it('creates rate limits with at least one dimension and publishes them', async () => {
    const empty = await owner.gql('mutation { createRateLimit(input: { scopeKind: ORG }) { id } }');
    expect(empty.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const res = await owner.gql<{ createRateLimit: { id: string; requestsPerMinute: number; concurrentRequests: number | null } }>(
      `mutation($key: ID!) { createRateLimit(input: { scopeKind: KEY, scopeId: $key, requestsPerMinute: 60, tokensPerMinute: 90000 }) { id requestsPerMinute concurrentRequests } }`,
      { key: keyId },
    );
    expect(res.data!.createRateLimit).toMatchObject({ requestsPerMinute: 60, concurrentRequests: null });
    expect(cp.services.configStore.collectionsOf(owner.orgId).rateLimits[res.data!.createRateLimit.id]).toEqual({
      id: res.data!.createRateLimit.id,
      orgId: owner.orgId,
      scope: { kind: 'key', id: keyId },
      requestsPerMinute: 60,
      tokensPerMinute: 90_000,
    });
    const cleared = await owner.gql<{ updateRateLimit: { requestsPerMinute: number | null } }>(
      `mutation($id: ID!) { updateRateLimit(id: $id, input: { requestsPerMinute: null }) { requestsPerMinute } }`,
      { id: res.data!.createRateLimit.id },
    );
    expect(cleared.data!.updateRateLimit.requestsPerMinute).toBeNull();
    const zero = await owner.gql('mutation { createRateLimit(input: { scopeKind: ORG, requestsPerMinute: 0 }) { id } }');
    expect(zero.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const tooMany = await owner.gql(`mutation($id: ID!) { updateRateLimit(id: $id, input: { concurrentRequests: 100001 }) { id } }`, {
      id: res.data!.createRateLimit.id,
    });
    expect(tooMany.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('lets auditors read limits but not change them', async () => {
    const auditor = await addMember(cp, owner.orgId, 'auditor');
    expect((await auditor.gql('{ budgets { id } rateLimits { id } }')).errors).toBeUndefined();
    const denied = await createBudget(auditor, { scopeKind: 'ORG', period: 'DAY', limit: '1' });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('spend from stored usage events', () => {
  it('adds each new event to the rollups once, even when a batch is delivered twice', async () => {
    const batch = {
      type: 'events' as const,
      nodeId: 'node-a',
      events: [usageEvent(owner.orgId, otherKeyId, { costMicros: 1_000 }), usageEvent(owner.orgId, otherKeyId, { costMicros: 2_000, model: 'gpt-4o' })],
    };
    expect((await postEvents(cp, nodeToken, batch)).body).toEqual({ accepted: 2, duplicates: 0 });
    expect((await postEvents(cp, nodeToken, batch)).body).toEqual({ accepted: 0, duplicates: 2 });
    const res = await owner.gql<{ usageRollups: { group: string; label: string; requests: number; costMicros: number; cost: string }[] }>(
      'query($from: String!, $to: String!) { usageRollups(groupBy: KEY, from: $from, to: $to) { group label requests costMicros cost } }',
      { from: today, to: today },
    );
    expect(res.data!.usageRollups).toContainEqual({ group: otherKeyId, label: 'summarizer', requests: 2, costMicros: 3_000, cost: '0.003' });
    const byModel = await owner.gql<{ usageRollups: { group: string; costMicros: number }[] }>(
      'query($from: String!, $to: String!) { usageRollups(groupBy: MODEL, from: $from, to: $to) { group costMicros } }',
      { from: today, to: today },
    );
    expect(byModel.data!.usageRollups).toEqual(expect.arrayContaining([{ group: 'gpt-4o', costMicros: 2_000 }]));
    const oneKey = await owner.gql<{ usageRollups: { group: string; requests: number; costMicros: number }[] }>(
      'query($from: String!, $to: String!, $keyId: ID) { usageRollups(groupBy: DAY, from: $from, to: $to, keyId: $keyId) { group requests costMicros } }',
      { from: today, to: today, keyId: otherKeyId },
    );
    const keyRow = res.data!.usageRollups.find((r) => r.group === otherKeyId)!;
    expect(oneKey.data!.usageRollups).toEqual([{ group: today, requests: keyRow.requests, costMicros: keyRow.costMicros }]);
    const badKey = await owner.gql('{ usageRollups(groupBy: DAY, from: "2025-03-01", to: "2025-03-01", keyId: "k1") { group } }');
    expect(badKey.errors?.[0]).toMatchObject({ message: 'keyId must be a UUID.', extensions: { code: 'BAD_USER_INPUT' } });
    const bad = await owner.gql('{ usageRollups(groupBy: DAY, from: "2025-02-30", to: "2025-03-01") { group } }');
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('shows a budget’s spend and percent from PostgreSQL and gives nodes the same figure', async () => {
    const { data } = await createBudget(owner, { scopeKind: 'KEY', scopeId: keyId, period: 'MONTH', limit: '0.01', alertThresholds: [50, 100] });
    const id = data!.createBudget.id;
    await spend(owner.orgId, keyId, [3_000, 3_000]);
    const res = await owner.gql<{ budget: { spentMicros: number; spent: string; percentUsed: number; currentPeriod: string } }>(
      `query($id: ID!) { budget(id: $id) { spentMicros spent percentUsed currentPeriod } }`,
      { id },
    );
    expect(res.data!.budget).toEqual({ spentMicros: 6_000, spent: '0.006', percentUsed: 60, currentPeriod: today.slice(0, 7) });
    const node = await gqlRequest<{ nodeBudgetSpend: { orgId: string; budgetId: string; periodKey: string; spentMicros: number }[] }>(
      cp.url,
      '{ nodeBudgetSpend { orgId budgetId periodKey spentMicros } }',
      {},
      { token: nodeToken },
    );
    expect(node.data!.nodeBudgetSpend).toContainEqual({ orgId: owner.orgId, budgetId: id, periodKey: today.slice(0, 7), spentMicros: 6_000 });
    const person = await owner.gql('{ nodeBudgetSpend { budgetId } }');
    expect(person.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('alerts once per threshold and period when stored spend crosses it', async () => {
    const { data } = await createBudget(owner, {
      name: 'alerting',
      scopeKind: 'KEY',
      scopeId: otherKeyId,
      period: 'DAY',
      limit: '0.01',
      alertThresholds: [50, 100],
    });
    const id = data!.createBudget.id;
    const outbox = cp.services.mailer.outbox!;
    const alertsFor = () => outbox.filter((m) => m.text.includes(id));
    // 3 000 spent earlier today: 60 % after this one.
    await spend(owner.orgId, otherKeyId, [3_000]);
    await vi.waitFor(() => expect(alertsFor()).toHaveLength(1), { timeout: 5_000 });
    expect(alertsFor()[0].subject).toBe('A budget reached 50%');
    await spend(owner.orgId, otherKeyId, [5_000]);
    await vi.waitFor(() => expect(alertsFor()).toHaveLength(2), { timeout: 5_000 });
    expect(alertsFor()[1].subject).toContain('exhausted');
    await spend(owner.orgId, otherKeyId, [5_000]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(alertsFor()).toHaveLength(2);
  });
});

describe('statements', () => {
  it('lists the plan fee, usage by model and the included allowance, also as CSV', async () => {
    const month = today.slice(0, 7);
    const res = await owner.gql<{
      billingStatement: { plan: string; lines: { kind: string; model: string | null; amount: string }[]; total: string; csvPath: string };
    }>('query($month: String!) { billingStatement(month: $month) { plan lines { kind model amount } total csvPath } }', { month });
    const statement = res.data!.billingStatement;
    expect(statement.plan).toBe('PRO');
    expect(statement.lines[0]).toEqual({ kind: 'plan_fee', model: null, amount: '49.00' });
    expect(statement.lines).toContainEqual({ kind: 'usage', model: 'gpt-4o', amount: '0.002' });
    const usage = statement.lines.filter((l) => l.kind === 'usage').reduce((sum, l) => sum + Math.round(Number(l.amount) * 1e6), 0);
    expect(statement.lines.at(-1)).toEqual({ kind: 'included_usage', model: null, amount: `-${(usage / 1e6).toFixed(6).replace(/0{1,4}$/, '')}` });
    expect(statement.total).toBe('49.00');

    const csv = await fetch(`${cp.url}${statement.csvPath}`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="keyward-statement-${month}.csv"`);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('month,kind,description,model,requests,input_tokens,output_tokens,amount_usd');
    expect(lines[1]).toBe(`${month},plan_fee,"Pro plan, ${month}",,0,0,0,49.00`);
    expect(lines.at(-1)).toBe(`${month},total,Total,,,,,49.00`);
  });

  it('refuses the CSV to strangers and node tokens, and a malformed month', async () => {
    expect((await fetch(`${cp.url}/v1/billing/statements/2025-03.csv`)).status).toBe(401);
    expect((await fetch(`${cp.url}/v1/billing/statements/2025-03.csv`, { headers: { authorization: `Bearer ${nodeToken}` } })).status).toBe(403);
    const bad = await fetch(`${cp.url}/v1/billing/statements/2025-13.csv`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });
});

describe('prepaid credits', () => {
  it('keeps the balance as the ledger’s sum, crediting a reference once', async () => {
    const topUp = (amount: string, reference: string) =>
      owner.gql<{ topUpCredits: { balance: string; balanceMicros: number } }>(
        'mutation($input: TopUpCreditsInput!) { topUpCredits(input: $input) { balance balanceMicros } }',
        { input: { amount, reference } },
      );
    expect((await topUp('100.00', 'INV-1')).data!.topUpCredits).toEqual({ balance: '100.00', balanceMicros: 100_000_000 });
    expect((await topUp('100.00', 'INV-1')).data!.topUpCredits.balanceMicros).toBe(100_000_000);
    expect((await topUp('0.50', 'INV-2')).data!.topUpCredits.balanceMicros).toBe(100_500_000);
    const ledger = await owner.gql<{ creditLedger: { amount: string; reason: string; reference: string }[] }>('{ creditLedger { amount reason reference } }');
    expect(ledger.data!.creditLedger).toEqual([
      { amount: '0.50', reason: 'top_up', reference: 'INV-2' },
      { amount: '100.00', reason: 'top_up', reference: 'INV-1' },
    ]);
    const admin = await addMember(cp, owner.orgId, 'admin');
    const denied = await admin.gql('mutation { topUpCredits(input: { amount: "5" }) { balance } }');
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses to rewrite a ledger entry in the database', async () => {
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    try {
      await expect(db.query('update credit_ledger set amount_micros = amount_micros * 2')).rejects.toThrow(/append-only/);
    } finally {
      await db.end();
    }
  });

  it('publishes the balance as a lifetime organization budget once credits are enabled', async () => {
    const res = await owner.gql<{ setCreditsEnabled: { enabled: boolean; startDay: string; remainingMicros: number; usedMicros: number } }>(
      'mutation { setCreditsEnabled(enabled: true) { enabled startDay remainingMicros usedMicros } }',
    );
    expect(res.data!.setCreditsEnabled).toMatchObject({ enabled: true, startDay: today });
    const { usedMicros, remainingMicros } = res.data!.setCreditsEnabled;
    expect(remainingMicros).toBe(100_500_000 - usedMicros);
    const credit = Object.values(cp.services.configStore.collectionsOf(owner.orgId).budgets).find((b) => b.period === 'lifetime');
    expect(credit).toMatchObject({ scope: { kind: 'org', id: owner.orgId }, limitMicros: 100_500_000, action: 'block' });
    const node = await gqlRequest<{ nodeBudgetSpend: { budgetId: string; periodKey: string; spentMicros: number }[] }>(
      cp.url,
      '{ nodeBudgetSpend { budgetId periodKey spentMicros } }',
      {},
      { token: nodeToken },
    );
    expect(node.data!.nodeBudgetSpend).toContainEqual({ budgetId: credit!.id, periodKey: 'lifetime', spentMicros: usedMicros });
  });
});

describe('Stripe', () => {
  const deliver = (payload: string, signature: string) =>
    fetch(`${cp.url}/v1/billing/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
  const stripe = new Stripe(STRIPE_KEY);

  it('credits a paid checkout once, even when Stripe delivers it twice', async () => {
    const before = (await owner.gql<{ credits: { balanceMicros: number } }>('{ credits { balanceMicros } }')).data!.credits.balanceMicros;
    const payload = JSON.stringify({
      id: 'evt_test_1',
      object: 'event',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: `cs_test_${randomBytes(6).toString('hex')}`,
          object: 'checkout.session',
          mode: 'payment',
          payment_status: 'paid',
          amount_total: 2_500,
          customer: 'cus_test_1',
          client_reference_id: owner.orgId,
          metadata: { orgId: owner.orgId, kind: 'top_up', amountMicros: '25000000' },
        },
      },
    });
    const first = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, outcome: 'credited' });
    const again = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }));
    expect(await again.json()).toEqual({ received: true, outcome: 'already_credited' });
    const after = (await owner.gql<{ credits: { balanceMicros: number } }>('{ credits { balanceMicros } }')).data!.credits.balanceMicros;
    expect(after - before).toBe(25_000_000);
  });

  it('refuses a payload whose signature does not match with 400', async () => {
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'checkout.session.completed', data: { object: {} } });
    const forged = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' }));
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    expect((await deliver(payload, 'garbage')).status).toBe(400);
  });

  it('sends upgrades through Checkout when Stripe is configured', async () => {
    const res = await owner.gql('mutation { changePlan(plan: ENTERPRISE) }');
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(res.errors?.[0].message).toContain('createCheckoutSession');
  });
});

describe('plan gating', () => {
  it('refuses hold budgets on the Free plan with PLAN_REQUIRED', async () => {
    const other = await createOrgWithMember(cp, 'owner');
    expect((await other.gql('mutation { changePlan(plan: FREE) }')).data).toEqual({ changePlan: 'FREE' });
    expect(cp.services.configStore.collectionsOf(other.orgId).orgs[other.orgId].plan).toBe('free');
    const res = await createBudget(other, { scopeKind: 'ORG', period: 'MONTH', limit: '10', action: 'HOLD' });
    expect(res.errors?.[0]).toMatchObject({ message: 'Approvals are available on the Pro plan.', extensions: { code: 'PLAN_REQUIRED', requiredPlan: 'pro' } });
    expect((await createBudget(owner, { scopeKind: 'ORG', period: 'MONTH', limit: '10', action: 'HOLD' })).errors).toBeUndefined();
  });

  it('refuses webhooks and Slack on the Free plan, naming the plan that has them', async () => {
    const other = await createOrgWithMember(cp, 'owner');
    await other.gql('mutation { changePlan(plan: FREE) }');
    const webhook = await other.gql(
      'mutation { createWebhook(input: { url: "https://hooks.example.com/keyward", events: ["approval.requested"] }) { secret } }',
    );
    expect(webhook.errors?.[0]).toMatchObject({ message: 'Webhooks are available on the Pro plan.', extensions: { code: 'PLAN_REQUIRED' } });
    const slack = await other.gql('mutation { createSlackIntegration(input: { secretUrl: "https://hooks.slack.com/services/T0/B0/abc" }) { id } }');
    expect(slack.errors?.[0]).toMatchObject({ message: 'Slack notifications are available on the Pro plan.', extensions: { code: 'PLAN_REQUIRED' } });
  });
});

it('keeps tokens and Stripe secrets out of the logs', () => {
  expect(findSecretsInLogs(cp.logs, [owner.token, nodeToken, STRIPE_KEY, WEBHOOK_SECRET])).toEqual([]);
});
