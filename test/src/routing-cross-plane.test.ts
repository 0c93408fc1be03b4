import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { costMicros, findPrice } from '@keyward/shared';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sectionCodeBlocks } from './start/support/readme-blocks.js';
import { eventually, startTestSystem, type TestSystem } from './support/system.js';

/**
 * Routes across both planes, written as the README writes them: its GraphQL examples (a
 * fallback route, a cost-aware route, a role) run against the control plane with the mock's
 * credentials in place of the placeholders; the node receives them over graphql-ws, and an
 * official client asking for `role:reviewer` goes through the fallback route. The usage event
 * in PostgreSQL keeps the route and every attempt.
 */
describe('routes from the README, across the planes', () => {
  let system: TestSystem;
  let key: { id: string; secret: string };
  let routeId: string;
  const hi = [{ role: 'user' as const, content: 'Review this diff.' }];
  const openai = () => new OpenAI({ apiKey: key.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await system.owner.gql<T>(query, variables);
    if (!res.data) throw new Error(`GraphQL failed: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const published = async (change: () => Promise<unknown>) => {
    const before = system.dp.node.readiness().version ?? 0;
    await change();
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the change to reach the node');
  };

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    const primary = await system.addMockCredential();
    const second = (
      await gql<{ createCredential: { id: string } }>('mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }', {
        input: { provider: 'OPENAI_COMPATIBLE', name: 'second account', apiKey: 'sk-mock-second-account-0000', baseUrl: `${system.mock.url}/v1` },
      })
    ).createCredential.id;
    key = await system.createKey();
    const blocks = sectionCodeBlocks(readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8'), 'Routes, fallbacks and roles').filter(
      (b) => b.lang === 'graphql',
    );
    // The section's first three GraphQL blocks: the fallback route, the cost-aware route and the role.
    expect(blocks.slice(0, 3).map((b) => /^\w+ \{\s+(\w+)/.exec(b.code)?.[1])).toEqual(['createRoute', 'createRoute', 'createAgentRole']);
    const ids: Record<string, string> = { '…primary…': primary, '…second account…': second, '…openai…': primary, '…compatible host…': second };
    const fill = (code: string) => code.replace(/"(…[^"]+…)"/g, (_, name: string) => JSON.stringify(ids[name] ?? name));
    await published(async () => {
      routeId = (await gql<{ createRoute: { id: string } }>(fill(blocks[0].code))).createRoute.id;
      await gql('mutation($id: ID!, $key: ID!) { bindRoute(id: $id, scope: { kind: KEY, id: $key }) { id } }', { id: routeId, key: key.id });
      await gql(fill(blocks[1].code));
      ids['…the fallback route…'] = routeId;
      await gql(fill(blocks[2].code));
    });
  });

  afterAll(async () => {
    await system?.close();
  });

  it('sends role:reviewer through the fallback route: the prompt and defaults applied, gpt-4o retried, then the next targets', async () => {
    system.mock.setBehaviour({ error: { status: 503, message: 'overloaded' } }, { model: 'gpt-4o' });
    const { data, response } = await openai().chat.completions.create({ model: 'role:reviewer', messages: hi }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the mock provider.');
    const bodies = system.mock.requests.map((r) => r.body as { model: string; temperature: number; max_completion_tokens: number; messages: unknown[] });
    expect(bodies.map((b) => b.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini']);
    expect(bodies[3]).toMatchObject({
      temperature: 0.2,
      max_completion_tokens: 2000,
      messages: [{ role: 'system', content: 'You review code for security problems. Answer with findings only.' }, ...hi],
    });

    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      const event = await eventually(
        async () =>
          (await db.query('select * from usage_events where request_id = $1', [response.headers.get('x-request-id')])).rows[0] as
            Record<string, any> | undefined,
        10_000,
        'the routed request’s event',
      );
      expect(event).toMatchObject({ route_id: routeId, model: 'gpt-4o-mini', status: 200 });
      // Settled on the attempt that answered: its model's price for its usage.
      expect(Number(event.cost_micros)).toBe(costMicros(findPrice('gpt-4o-mini', [], new Date())!, { inputTokens: 12, outputTokens: 7, cachedInputTokens: 0 }));
      expect(event.attempts.map((a: { model: string; outcome: string; status: number }) => [a.model, a.outcome, a.status])).toEqual([
        ['gpt-4o', 'server_error', 503],
        ['gpt-4o', 'server_error', 503],
        ['gpt-4o', 'server_error', 503],
        ['gpt-4o-mini', 'answered', 200],
      ]);
    } finally {
      await db.end();
    }
  });

  it('reserves rate limits once per agent request, however many attempts it takes', async () => {
    await published(() =>
      gql('mutation($key: ID!) { createRateLimit(input: { name: "two a minute", scopeKind: KEY, scopeId: $key, requestsPerMinute: 2 }) { id } }', {
        key: key.id,
      }),
    );
    system.mock.reset();
    system.mock.setBehaviour({ error: { status: 503 } }, { model: 'gpt-4o' });
    for (let i = 0; i < 2; i++) await openai().chat.completions.create({ model: 'gpt-4o', messages: hi });
    // Eight upstream attempts, two agent requests: the minute is used up.
    expect(system.mock.requests).toHaveLength(8);
    const refused = await openai()
      .chat.completions.create({ model: 'gpt-4o', messages: hi })
      .then(
        () => null,
        (err: InstanceType<typeof OpenAI.APIError>) => err,
      );
    expect(refused?.status).toBe(429);
    expect(system.mock.requests).toHaveLength(8);
  });

  it('shows a target’s circuit, opened on the node, in routeTargetFigures', async () => {
    const other = await system.createKey();
    await published(() => gql('mutation($id: ID!, $key: ID!) { bindRoute(id: $id, scope: { kind: KEY, id: $key }) { id } }', { id: routeId, key: other.id }));
    const client = new OpenAI({ apiKey: other.secret, baseURL: `${system.dp.url}/v1`, maxRetries: 0 });
    system.mock.reset();
    system.mock.setBehaviour({ error: { status: 503 } }, { model: 'gpt-4o' });
    const gpt4o = async () => {
      const metrics = await (await fetch(`${system.dp.url}/metrics`)).text();
      return /^keyward_dp_target_circuit_state\{target="[^"]+\/gpt-4o"\} (\d)$/m.exec(metrics)?.[1];
    };
    for (let i = 0; i < 12 && (await gpt4o()) !== '2'; i++) await client.chat.completions.create({ model: 'gpt-4o', messages: hi });
    expect(await gpt4o()).toBe('2');

    const figures = () =>
      gql<{ routeTargetFigures: { model: string; circuits: { nodeId: string; state: string; openUntil: string | null }[] }[] }>(
        'query($route: ID) { routeTargetFigures(window: LAST_HOUR, routeId: $route) { model circuits { nodeId state openUntil } } }',
        { route: routeId },
      );
    const open = await eventually(
      async () => (await figures()).routeTargetFigures.find((f) => f.model === 'gpt-4o' && f.circuits.length > 0)?.circuits,
      10_000,
      'the node’s heartbeat to report the open circuit',
    );
    expect(open).toEqual([{ nodeId: 'system-node', state: 'open', openUntil: expect.any(String) }]);
    expect(Date.parse(open[0].openUntil!)).toBeGreaterThan(Date.now());
    expect((await figures()).routeTargetFigures.find((f) => f.model === 'gpt-4o-mini')?.circuits).toEqual([]);
  });
});
