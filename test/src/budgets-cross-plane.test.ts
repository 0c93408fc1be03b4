import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from './support/system.js';

/**
 * Budgets across both planes: the control plane publishes a budget to a node over graphql-ws,
 * the node reserves and settles against it, and the usage event's cost lands in PostgreSQL's
 * spend rollups, which is where the budget's spend is read from.
 */
describe('budget spend across the planes', () => {
  let system: TestSystem;
  let key: { id: string; secret: string };
  let budgetId: string;

  const budgetSpend = async () => {
    const res = await system.owner.gql<{ budget: { spentMicros: number } }>('query($id: ID!) { budget(id: $id) { spentMicros } }', { id: budgetId });
    return res.data!.budget.spentMicros;
  };

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    key = await system.createKey();
    const before = system.dp.node.readiness().version ?? 0;
    const res = await system.owner.gql<{ createBudget: { id: string } }>(
      'mutation($key: ID!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: DAY, limit: "5.00" }) { id } }',
      { key: key.id },
    );
    budgetId = res.data!.createBudget.id;
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the budget to reach the node');
  });

  afterAll(async () => {
    await system?.close();
  });

  it('records the tokens a client used before it hung up mid-stream, and its spend reaches PostgreSQL within seconds', async () => {
    // A long, slow answer: the agent leaves after two chunks, long before the usage chunk.
    system.mock.setBehaviour({ text: 'word '.repeat(400), chunks: 40, intervalMs: 50, usage: { inputTokens: 50, outputTokens: 400 } });
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', stream: true, max_tokens: 2_000, messages: [{ role: 'user', content: 'Write a long essay about budgets.' }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    let chunks = 0;
    for await (const _chunk of stream) {
      if (++chunks === 2) break; // breaking out of the iterator aborts the HTTP request
    }
    const hungUpAt = Date.now();

    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      const event = await eventually(
        async () => (await db.query('select * from usage_events where request_id = $1', [requestId])).rows[0] as Record<string, unknown> | undefined,
        10_000,
        'the event of the abandoned stream',
      );
      expect(event).toMatchObject({ key_id: key.id, stream: true, status: 200, error_code: 'client_closed' });
      expect(event.tags).toContain('usage_estimated');
      expect(Number(event.output_tokens)).toBeGreaterThan(0);
      // Only what was relayed before the hang-up is charged, not the whole answer.
      expect(Number(event.output_tokens)).toBeLessThan(400);
      const cost = Number(event.cost_micros);
      expect(cost).toBeGreaterThan(0);

      await eventually(async () => ((await budgetSpend()) === cost ? true : undefined), 5_000, 'the spend in the budget');
      expect(Date.now() - hungUpAt).toBeLessThan(5_000);
      const rollup = await db.query('select sum(cost_micros)::bigint as cost from spend_rollups where key_id = $1', [key.id]);
      expect(Number(rollup.rows[0].cost)).toBe(cost);
    } finally {
      await db.end();
    }
  });

  it('refuses a request whose most possible cost no longer fits the day’s budget', async () => {
    await system.owner.gql('mutation($id: ID!) { updateBudget(id: $id, input: { limit: "0.000001" }) { id } }', { id: budgetId });
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    const error = await eventually(
      async () => {
        const outcome = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).then(
          () => undefined,
          (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
        );
        return outcome;
      },
      5_000,
      'the lowered budget to refuse',
    );
    expect(error).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
  });

  it('counts a budget created on a key that already spent this period from that spend, and names it when it refuses', async () => {
    const tz = await system.owner.gql('mutation { updateOrganizationSettings(input: { timeZone: "Europe/Paris" }) { id } }');
    expect(tz.errors).toBeUndefined();
    const spender = await system.createKey();
    const openai = new OpenAI({ apiKey: spender.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    system.mock.setBehaviour({ usage: { inputTokens: 1_000, outputTokens: 1_000 } });
    for (let i = 0; i < 3; i++) {
      await openai.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    }
    // gpt-4o-mini: $0.15 in and $0.60 out per million tokens, so each call cost 750 micro-dollars.
    const spent = 3 * 750;
    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      await eventually(
        async () =>
          Number((await db.query('select coalesce(sum(cost_micros), 0) as cost from spend_rollups where key_id = $1', [spender.id])).rows[0].cost) === spent
            ? true
            : undefined,
        10_000,
        'the spend in the rollups',
      );
    } finally {
      await db.end();
    }

    // A daily budget below what the key already spent today: the node must know at once, not at its next re-sync.
    const before = system.dp.node.readiness().version ?? 0;
    const created = await system.owner.gql<{ createBudget: { id: string } }>(
      'mutation($key: ID!) { createBudget(input: { name: "agent daily", scopeKind: KEY, scopeId: $key, period: DAY, limit: "0.002" }) { id } }',
      { key: spender.id },
    );
    const budget = created.data!.createBudget.id;
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the budget to reach the node');
    const forwarded = system.mock.requests.length;

    const error = (await openai.chat.completions
      .create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(system.mock.requests.length).toBe(forwarded);

    // The refusal names the budget, its limit and spend, and when it renews, in words and in headers.
    const renewsAt = error.headers!.get('x-keyward-budget-renews-at')!;
    expect(error.headers!.get('x-keyward-budget-id')).toBe(budget);
    expect(Number(error.headers!.get('retry-after'))).toBeGreaterThan(0);
    const renewal = new Date(renewsAt);
    expect(renewal.toISOString()).toBe(renewsAt);
    const paris = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Paris',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(renewal);
    expect(paris).toMatch(/^\d{4}-\d{2}-\d{2} 00:00$/);
    expect(renewal.getTime() - Date.now()).toBeGreaterThan(0);
    expect(renewal.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);
    const message = (error.error as { message: string }).message;
    expect(message).toBe(`Budget 'agent daily' ($0.002 per day) is used up: $0.00225 spent. It renews ${renewsAt} (${paris} Europe/Paris).`);
    expect(message).not.toContain(spender.secret);
  });
});
