import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chatThrough } from './support/openai-call.js';
import { startPoolSystem, type PoolSystem } from './support/pool-system.js';
import type { SmtpInbox } from './support/smtp-inbox.js';
import { eventually, type TestSystem } from './support/system.js';

interface Recipient {
  id: string;
  email: string;
  status: string;
  keyId: string;
  limits: { budget: string | null; requestsPerMinute: number | null };
}

/**
 * An owner manages a pool after creating it: changes its note, default limits (for every
 * recipient too, enforced by the node), cap and expiry; binds it to a route instead of
 * credentials; and deletes it, which revokes every key it gave.
 */
describe("an owner's management of a key pool", () => {
  let system: TestSystem;
  let inbox: SmtpInbox;
  let credentialId: string;
  const secrets: string[] = [];

  const POOL = 'id name note status routeId credentialIds limits { budget requestsPerMinute } cap { limit period } expiresAt';
  const gqlOk = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const res = await system.owner.gql<T>(query, variables);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  const createPool = async (input: Record<string, unknown>) =>
    (await gqlOk<{ createPool: { id: string } }>(`mutation($input: CreatePoolInput!) { createPool(input: $input) { ${POOL} } }`, { input })).createPool;
  const updatePool = (id: string, input: Record<string, unknown>) =>
    system.owner.gql<{ updatePool: Record<string, unknown> }>(
      `mutation($id: ID!, $input: UpdatePoolInput!) { updatePool(id: $id, input: $input) { ${POOL} } }`,
      {
        id,
        input,
      },
    );
  const recipientsOf = async (poolId: string) =>
    (
      await gqlOk<{ poolRecipients: Recipient[] }>(
        'query($p: ID!) { poolRecipients(poolId: $p) { id email status keyId limits { budget requestsPerMinute } } }',
        { p: poolId },
      )
    ).poolRecipients;
  const linkIn = (text: string) => /https?:\/\/\S+\/key#([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  /** Adds one recipient and opens their link as the reveal page does; returns the key's secret. */
  const keyFor = async (poolId: string, email: string) => {
    await gqlOk('mutation($p: ID!, $e: String!) { addPoolRecipient(poolId: $p, input: { email: $e }) { id } }', { p: poolId, e: email });
    const res = await fetch(`${system.cp.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($t: String!) { revealPoolKey(token: $t) { secret } }',
        variables: { t: linkIn((await inbox.mailTo(email)).text) },
      }),
    });
    const secret = ((await res.json()) as { data: { revealPoolKey: { secret: string } } }).data.revealPoolKey.secret;
    secrets.push(secret);
    return secret;
  };
  const call = (secret: string) => chatThrough(system.dp.url, secret);
  const nodeVersion = () => system.dp.node.readiness().version ?? 0;
  const works = (secret: string) => eventually(async () => ((await call(secret)) === null ? true : undefined), 10_000, 'the key to work');

  let world: PoolSystem;

  beforeAll(async () => {
    ({ system, inbox, credentialId } = world = await startPoolSystem(inject('pgAdminUrl')));
  }, 60_000);

  afterAll(() => world?.close());

  it("changes a pool's note, cap and expiry, and gives every recipient its new limits, which the node enforces", async () => {
    const pool = await createPool({ name: 'Seminar', credentialIds: [credentialId], allowedModels: ['gpt-4o-mini'], limits: { budget: '1.00' } });
    const secret = await keyFor(pool.id, 'una@example.com');
    await works(secret);

    // New defaults alone leave existing recipients as they were.
    const defaults = await updatePool(pool.id, { limits: { budget: '2.00', requestsPerMinute: 50 }, note: 'Bring questions.' });
    expect(defaults.data!.updatePool).toMatchObject({ note: 'Bring questions.', limits: { budget: '2.00', requestsPerMinute: 50 } });
    expect((await recipientsOf(pool.id))[0].limits).toEqual({ budget: '1.00', requestsPerMinute: null });

    // Given to every recipient, a budget smaller than one call stops the key at the node.
    const before = nodeVersion();
    const applied = await updatePool(pool.id, { limits: { budget: '0.0005' }, applyLimitsToRecipients: true, cap: '3.00', capPeriod: 'WEEK' });
    expect(applied.errors).toBeUndefined();
    expect(applied.data!.updatePool).toMatchObject({ limits: { budget: '0.0005', requestsPerMinute: 50 }, cap: { limit: '3.00', period: 'WEEK' } });
    expect((await recipientsOf(pool.id))[0].limits).toEqual({ budget: '0.0005', requestsPerMinute: 50 });
    await eventually(() => (nodeVersion() > before ? true : undefined), 10_000, 'the new limits to reach the node');
    expect(await call(secret)).toMatchObject({ status: 429, code: 'budget_exceeded' });

    const until = new Date(Date.now() + 3 * 24 * 3600_000).toISOString();
    const expiring = await updatePool(pool.id, { expiresAt: until, cap: null });
    expect(expiring.data!.updatePool).toMatchObject({ expiresAt: until, cap: null });

    const past = await updatePool(pool.id, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    expect(past.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const bad = await updatePool(pool.id, { cap: '1.2345678' });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it("binds a pool to a route: every recipient's key takes it, and the route cannot be deleted under the pool", async () => {
    const route = await gqlOk<{ createRoute: { id: string } }>('mutation($input: RouteInput!) { createRoute(input: $input) { id } }', {
      input: { name: 'Class route', match: ['gpt-4o-mini'], targets: [{ credentialId, model: 'gpt-4o-mini' }] },
    });
    const routeId = route.createRoute.id;
    const both = await system.owner.gql('mutation($input: CreatePoolInput!) { createPool(input: $input) { id } }', {
      input: { name: 'Both', credentialIds: [credentialId], routeId },
    });
    expect(both.errors![0]).toMatchObject({ message: 'A pool takes a route or credentials, not both: leave credentialIds empty.' });

    const pool = await createPool({ name: 'Routed', routeId });
    const secret = await keyFor(pool.id, 'vic@example.com');
    await works(secret);
    const [vic] = await recipientsOf(pool.id);
    const events = await eventually(
      async () => {
        const found = (
          await gqlOk<{ usageEvents: { nodes: { routeId: string | null }[] } }>('query($k: ID!) { usageEvents(filter: { keyId: $k }) { nodes { routeId } } }', {
            k: vic.keyId,
          })
        ).usageEvents.nodes;
        return found.length > 0 ? found : undefined;
      },
      10_000,
      "the routed call's event",
    );
    expect(events[0].routeId).toBe(routeId);

    const refused = await system.owner.gql('mutation($id: ID!) { deleteRoute(id: $id) }', { id: routeId });
    expect(refused.errors![0]).toMatchObject({
      message: 'Route "Class route" is used by key pool "Routed"; give the pool another route or delete it first.',
      extensions: { code: 'CONFLICT' },
    });

    // Unbound, the pool names its credentials again, and its keys take no route.
    const unbound = await updatePool(pool.id, { routeId: null, credentialIds: [credentialId] });
    expect(unbound.data!.updatePool).toMatchObject({ routeId: null, credentialIds: [credentialId] });
    const route2 = await gqlOk<{ route: { bindings: unknown[] } }>('query($id: ID!) { route(id: $id) { bindings { kind } } }', { id: routeId });
    expect(route2.route.bindings).toEqual([]);
  });

  it('deletes a pool: its keys stop working and its recipients are gone', async () => {
    const pool = await createPool({ name: 'Short-lived', credentialIds: [credentialId], cap: '5.00' });
    const secret = await keyFor(pool.id, 'wes@example.com');
    await works(secret);
    const before = nodeVersion();
    const deleted = await gqlOk<{ deletePool: string }>('mutation($id: ID!) { deletePool(id: $id) }', { id: pool.id });
    expect(deleted.deletePool).toBe(pool.id);
    await eventually(() => (nodeVersion() > before ? true : undefined), 10_000, 'the deletion to reach the node');
    expect(await call(secret)).toMatchObject({ status: 401 });
    const pools = await gqlOk<{ pools: { id: string }[] }>('{ pools { id } }');
    expect(pools.pools.map((p) => p.id)).not.toContain(pool.id);
    const gone = await system.owner.gql('query($p: ID!) { poolRecipients(poolId: $p) { id } }', { p: pool.id });
    expect(gone.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('gives a recipient no way to widen their own limits, signed in to their page or holding their key', async () => {
    const pool = await createPool({ name: 'Locked', credentialIds: [credentialId], limits: { budget: '0.50', requestsPerMinute: 5 } });
    const secret = await keyFor(pool.id, 'xan@example.com');
    const [xan] = await recipientsOf(pool.id);
    const as = async (headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${system.cp.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { res, body: (await res.json()) as { data?: Record<string, unknown> | null; errors?: { extensions: { code: string } }[] } };
    };
    await as({}, 'mutation { requestRecipientCode(email: "xan@example.com") }');
    const mail = await eventually(() => inbox.messages.find((m) => m.to.includes('xan@example.com') && /Your code is: \d{6}/.test(m.text)), 10_000, 'the code');
    const signedIn = await as({}, 'mutation($c: String!) { signInAsRecipient(email: "xan@example.com", code: $c) }', {
      c: /Your code is: (\d{6})/.exec(mail.text)![1],
    });
    const cookie = signedIn.res.headers
      .getSetCookie()
      .find((c) => c.startsWith('kw_recipient='))!
      .split(';')[0];

    const widenings: [string, Record<string, unknown>][] = [
      ['mutation($id: ID!) { updatePool(id: $id, input: { limits: { budget: "1000.00" }, applyLimitsToRecipients: true }) { id } }', { id: pool.id }],
      [
        'mutation($p: ID!, $r: [ID!]!) { updatePoolRecipients(poolId: $p, recipientIds: $r, action: EXTEND, expiresAt: "2030-01-01T00:00:00Z") { id } }',
        { p: pool.id, r: [xan.id] },
      ],
      ['mutation($p: ID!) { addPoolRecipient(poolId: $p, input: { email: "xan2@example.com", limits: { budget: "1000.00" } }) { id } }', { p: pool.id }],
      ['mutation($id: ID!) { resumePool(id: $id) { id } }', { id: pool.id }],
    ];
    for (const headers of [{ cookie }, { authorization: `Bearer ${secret}` }] as Record<string, string>[]) {
      for (const [query, variables] of widenings) {
        const { body } = await as(headers, query, variables);
        expect(body.data ?? null).toBeNull();
        expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(body.errors![0].extensions.code);
      }
    }
    const mine = await as({ cookie }, '{ myPoolKeys { recipient { limits { budget requestsPerMinute } expiresAt } } }');
    expect(mine.body.data).toEqual({ myPoolKeys: [{ recipient: { limits: { budget: '0.50', requestsPerMinute: 5 }, expiresAt: null } }] });
    expect((await recipientsOf(pool.id)).map((r) => r.email)).toEqual(['xan@example.com']);
  });

  it('never writes a key or a link token to the logs', () => {
    const logs = system.allLogs().join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    for (const mail of inbox.messages) {
      const token = linkIn(mail.text);
      if (token) expect(logs).not.toContain(token);
    }
  });
});
