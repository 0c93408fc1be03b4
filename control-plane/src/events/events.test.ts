import { randomUUID } from 'node:crypto';
import { generateSecret, USAGE_EVENT_FIELDS, type UsageEvent } from '@keyward/shared';
import { createClient, type Client } from 'graphql-ws';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import WebSocket from 'ws';
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
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane.js';
import { ormOptions } from '../database.js';
import { CONTENT_WORDS } from './content-search.js';

/** The last migration before usage events kept policy matches and approvals. */
const PREVIOUS_MIGRATION = 'Migration20261123043150';

/** A selection of every field the field table exposes through GraphQL, sub-fields included. */
const EVERY_EVENT_FIELD = [
  'receivedAt',
  'contentPurgedAt',
  ...USAGE_EVENT_FIELDS.filter((f) => f.graphql).map((f) =>
    f.name === 'policyMatches'
      ? 'policyMatches { policyId policyVersion ruleId action phase shadow }'
      : f.name === 'attempts'
        ? 'attempts { credentialId model outcome status latencyMs }'
        : f.name === 'content'
          ? 'content { request response }'
          : f.name === 'anomalyReasons'
            ? 'anomalyReasons { code message }'
            : f.name === 'hdpChain'
              ? 'hdpChain { agentId agentType }'
              : f.name === 'meta'
                ? 'meta { name value }'
                : f.name,
  ),
].join(' ');

const CREATE_KEY = 'mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id prefix } } }';

let cp: TestControlPlane;
let kms: LocalKmsFile;
const nodeToken = generateSecret('node_token');
const clients: Client[] = [];

async function keyOf(member: OrgMember, name = 'agent'): Promise<string> {
  const res = await member.gql<{ createKey: { key: { id: string } } }>(CREATE_KEY, { input: { name, ownerLabel: name } });
  return res.data!.createKey.key.id;
}

function batch(events: UsageEvent[]) {
  return { type: 'events', nodeId: 'node-a', events };
}

interface Received {
  events: Record<string, unknown>[];
  errors: unknown[];
}

/** Subscribes to live usage events as `member` over graphql-ws; resolves once the subscription is live. */
async function subscribeEvents(
  member: OrgMember,
  filter: Record<string, unknown> | null = null,
  selection = 'id keyId model decision content { request }',
): Promise<Received> {
  const received: Received = { events: [], errors: [] };
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url: `${cp.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${member.token}` },
    retryAttempts: 0,
    on: { connected: () => connected() },
  });
  clients.push(client);
  client.subscribe<{ usageEvents: Record<string, unknown> }>(
    {
      query: `subscription($filter: UsageEventStreamFilter) { usageEvents(filter: $filter) { ${selection} } }`,
      variables: { filter },
    },
    {
      next: (result) => {
        if (result.data) received.events.push(result.data.usageEvents);
        if (result.errors) received.errors.push(...result.errors);
      },
      error: (error) => received.errors.push(error),
      complete: () => undefined,
    },
  );
  await ready;
  // The subscribe message follows the connection ack; give the server a moment to register it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return received;
}

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  kms = await createLocalKmsFile();
  cp = await startTestControlPlane(inject('pgAdminUrl'), { ...kms.env, KEYWARD_NODE_TOKEN: nodeToken });
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await cp?.close();
  await kms?.remove();
});

describe('storing event batches', () => {
  it('accepts a batch once and counts a re-sent batch as duplicates, adding to the key totals once', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const latest = new Date(Date.now() - 1000).toISOString();
    const events = [
      usageEvent(org.orgId, keyId, { startedAt: new Date(Date.now() - 5000).toISOString() }),
      usageEvent(org.orgId, keyId, { startedAt: latest, inputTokens: 100, outputTokens: 5, costMicros: 1000 }),
      usageEvent(org.orgId, keyId, { startedAt: new Date(Date.now() - 3000).toISOString(), decision: 'blocked', status: 403 }),
    ];
    const first = await postEvents(cp, nodeToken, batch(events));
    expect(first).toMatchObject({ status: 200, body: { accepted: 3, duplicates: 0 } });
    const again = await postEvents(cp, nodeToken, batch(events));
    expect(again).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 3 } });
    const overlapping = await postEvents(cp, nodeToken, batch([events[0], usageEvent(org.orgId, keyId, { startedAt: latest })]));
    expect(overlapping.body).toEqual({ accepted: 1, duplicates: 1 });

    const res = await org.gql<{ key: { lastUsedAt: string; usage: Record<string, number> } }>(
      'query($id: ID!) { key(id: $id) { lastUsedAt usage { requests inputTokens outputTokens cachedInputTokens costMicros } } }',
      { id: keyId },
    );
    expect(res.data!.key.usage).toEqual({ requests: 4, inputTokens: 130, outputTokens: 65, cachedInputTokens: 0, costMicros: 1450 });
    expect(res.data!.key.lastUsedAt).toBe(latest);
  });

  it('stores an event that appears twice in one batch once', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const event = usageEvent(org.orgId, await keyOf(org));
    const res = await postEvents(cp, nodeToken, batch([event, event]));
    expect(res.body).toEqual({ accepted: 1, duplicates: 1 });
  });

  it('keeps every field of an event, the matched policy rules and the approval included', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const event = usageEvent(org.orgId, keyId, {
      provider: 'anthropic',
      api: 'anthropic',
      endpoint: 'messages',
      model: 'claude-3-5-haiku',
      stream: true,
      status: 429,
      decision: 'rate_limited',
      errorCode: 'rate_limited',
      latencyMs: 12,
      ttftMs: null,
      cachedInputTokens: 7,
      tags: ['pii', 'eu'],
      policyMatches: [
        { policyId: randomUUID(), policyVersion: 3, ruleId: 'contacts', action: 'redact', phase: 'request', shadow: false },
        { policyId: randomUUID(), policyVersion: 1, ruleId: 'trial-block', action: 'block', phase: 'request', shadow: true },
      ],
      approvalId: randomUUID(),
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      routeId: randomUUID(),
      cacheHit: true,
      userAgentFamilyHash: 'f'.repeat(64),
      toolsOffered: ['search_docs', 'transfer_funds'],
      anomalyScore: 91,
      anomalyReasons: [
        { code: 'new_tool', message: 'tool `transfer_funds` never seen for this key' },
        { code: 'new_client', message: 'first call from a new client' },
      ],
      anomalyAction: 'notify',
      mcpServer: 'records',
      mcpTool: 'list_records',
      resultBytes: 2048,
      // HDP delegation provenance.
      hdpResult: 'tool_unauthorized',
      hdpTokenId: 'b7d6a0f4-3c1e-4a57-9d2b-5e8f0a1c2d3e',
      hdpPrincipalId: 'usr_alice_opaque',
      hdpPrincipalType: 'opaque',
      hdpChain: [
        { agentId: 'orchestrator-v2', agentType: 'orchestrator' },
        { agentId: 'report-writer', agentType: 'tool-executor' },
      ],
      // Latency breakdown.
      gatewayMs: 3,
      upstreamTtfbMs: 8,
      streamMs: 1,
      // Custom metadata.
      meta: [
        { name: 'customer', value: 'acme' },
        { name: 'run-id', value: 'r-42' },
      ],
      metaDropped: 2,
    });
    await postEvents(cp, nodeToken, batch([event]));
    const res = await org.gql<{ usageEvents: { nodes: Record<string, unknown>[] } }>(`{ usageEvents { nodes { ${EVERY_EVENT_FIELD} } } }`);
    const { content: _content, orgId: _orgId, ...expected } = event;
    expect(res.data!.usageEvents.nodes[0]).toEqual({
      ...expected,
      provider: 'ANTHROPIC',
      decision: 'RATE_LIMITED',
      policyMatches: event.policyMatches!.map((m) => ({ ...m, action: m.action.toUpperCase(), phase: m.phase.toUpperCase() })),
      attempts: [],
      content: null,
      contentPurgedAt: null,
      receivedAt: expect.any(String),
    });
  });

  it('stores events of nodes that send no policy matches or approval as having none', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const { policyMatches: _m, approvalId: _a, ...older } = usageEvent(org.orgId, await keyOf(org));
    expect((await postEvents(cp, nodeToken, batch([older as UsageEvent]))).body).toEqual({ accepted: 1, duplicates: 0 });
    const res = await org.gql<{ usageEvents: { nodes: unknown[] } }>('{ usageEvents { nodes { policyMatches { ruleId } approvalId } } }');
    expect(res.data!.usageEvents.nodes).toEqual([{ policyMatches: [], approvalId: null }]);
  });

  it('drops prompt and completion text unless the organization captures content', async () => {
    const plain = await createOrgWithMember(cp, 'owner');
    const capturing = await createOrgWithMember(cp, 'owner', { contentCapture: true });
    const content = { request: 'my secret prompt', response: 'the answer' };
    await postEvents(
      cp,
      nodeToken,
      batch([usageEvent(plain.orgId, await keyOf(plain), { content }), usageEvent(capturing.orgId, await keyOf(capturing), { content })]),
    );
    const query = '{ usageEvents { nodes { content { request response } } } }';
    expect((await plain.gql<{ usageEvents: { nodes: unknown[] } }>(query)).data!.usageEvents.nodes).toEqual([{ content: null }]);
    expect((await capturing.gql<{ usageEvents: { nodes: unknown[] } }>(query)).data!.usageEvents.nodes).toEqual([{ content }]);

    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    const { rows } = await db.query('select count(*)::int as n from usage_events where organization_id = $1 and content is not null', [plain.orgId]);
    await db.end();
    expect(rows[0].n).toBe(0);
  });
});

describe('refusing bad batches', () => {
  it('answers 400 with a message naming the bad field', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const cases: [unknown, RegExp][] = [
      [batch([{ ...usageEvent(org.orgId, keyId), decision: 'maybe' } as unknown as UsageEvent]), /"events\[0\]\.decision" must be one of/],
      [batch([usageEvent(org.orgId, keyId), { ...usageEvent(org.orgId, keyId), keyId: 'nope' }]), /"events\[1\]\.keyId"/],
      [{ type: 'events', nodeId: 'n' }, /"events" is missing/],
      [{ type: 'other', nodeId: 'n', events: [] }, /"type"/],
      ['{not json', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const res = await postEvents(cp, nodeToken, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_EVENT_BATCH' });
      expect((res.body.error as { message: string }).message).toMatch(message);
    }
  });

  it('answers 401 without a valid node token', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const body = batch([usageEvent(org.orgId, await keyOf(org))]);
    for (const authorization of [null, 'Bearer nonsense', `Bearer ${org.token}`, `Bearer ${generateSecret('node_token')}`]) {
      const res = await postEvents(cp, authorization, body);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('answers 403 when an organization node token sends another organization’s events', async () => {
    const mine = await createOrgWithMember(cp, 'admin');
    const theirs = await createOrgWithMember(cp, 'admin');
    const token = await createNodeTokenFor(mine);
    const ok = await postEvents(cp, token, batch([usageEvent(mine.orgId, await keyOf(mine))]));
    expect(ok.body).toEqual({ accepted: 1, duplicates: 0 });
    const refused = await postEvents(cp, token, batch([usageEvent(mine.orgId, await keyOf(mine)), usageEvent(theirs.orgId, await keyOf(theirs))]));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'FORBIDDEN',
      message: 'event batch "events[1].orgId" is an organization this node token does not serve.',
    });
  });
});

describe('live usage events', () => {
  it('reach subscribers of their own organization only, narrowed by filters', async () => {
    const a = await createOrgWithMember(cp, 'auditor');
    const b = await createOrgWithMember(cp, 'auditor');
    const third = await createOrgWithMember(cp, 'admin');
    // Auditors read events but cannot create keys: a developer of each organization does.
    const writerA = await addMember(cp, a.orgId, 'developer');
    const writerB = await addMember(cp, b.orgId, 'developer');
    const key1 = await keyOf(writerA, 'one');
    const key2 = await keyOf(writerA, 'two');
    const keyB = await keyOf(writerB, 'b');

    const everythingA = await subscribeEvents(a);
    const onlyKey2 = await subscribeEvents(a, { keyId: key2 });
    const blockedGpt = await subscribeEvents(a, { model: 'gpt-4o', decision: 'BLOCKED' });
    const everythingB = await subscribeEvents(b);
    const otherOrg = await subscribeEvents(third);

    const events = [
      usageEvent(a.orgId, key1, { model: 'gpt-4o', decision: 'blocked', status: 403 }),
      usageEvent(a.orgId, key2, { model: 'gpt-4o' }),
      usageEvent(b.orgId, keyB, { model: 'gpt-4o', decision: 'blocked', status: 403 }),
    ];
    expect((await postEvents(cp, nodeToken, batch(events))).body).toEqual({ accepted: 3, duplicates: 0 });
    await waitFor(() => everythingA.events.length === 2 && everythingB.events.length === 1);
    await postEvents(cp, nodeToken, batch(events)); // duplicates are not published again
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(everythingA.events.map((e) => e.id).sort()).toEqual([events[0].id, events[1].id].sort());
    expect(onlyKey2.events.map((e) => e.id)).toEqual([events[1].id]);
    expect(blockedGpt.events.map((e) => e.id)).toEqual([events[0].id]);
    expect(everythingB.events.map((e) => e.id)).toEqual([events[2].id]);
    expect(otherOrg.events).toEqual([]);
    expect(everythingA.errors).toEqual([]);
  });

  it('carry every field exactly as the stored history returns it, content only where it is captured', async () => {
    const plain = await createOrgWithMember(cp, 'owner');
    const capturing = await createOrgWithMember(cp, 'owner', { contentCapture: true });
    const livePlain = await subscribeEvents(plain, null, EVERY_EVENT_FIELD);
    const liveCapturing = await subscribeEvents(capturing, null, EVERY_EVENT_FIELD);
    const content = { request: 'my secret prompt', response: 'the answer' };
    const everything = {
      tags: ['pii'],
      policyMatches: [{ policyId: randomUUID(), policyVersion: 2, ruleId: 'contacts', action: 'redact' as const, phase: 'request' as const, shadow: false }],
      approvalId: randomUUID(),
      content,
    };
    const events = [
      // An id in upper case is the same id: it is stored, shown and published in lower case.
      usageEvent(plain.orgId, await keyOf(plain), { ...everything, id: randomUUID().toUpperCase() }),
      usageEvent(plain.orgId, await keyOf(plain, 'second'), { ttftMs: 40, cachedInputTokens: 3 }),
      usageEvent(capturing.orgId, await keyOf(capturing), everything),
    ];
    const { policyMatches: _m, approvalId: _a, ...older } = usageEvent(capturing.orgId, await keyOf(capturing, 'older'));
    events.push(older as UsageEvent);
    expect((await postEvents(cp, nodeToken, batch(events))).body).toEqual({ accepted: 4, duplicates: 0 });
    await waitFor(() => livePlain.events.length === 2 && liveCapturing.events.length === 2);

    const byId = (list: Record<string, unknown>[]) => [...list].sort((x, y) => String(x.id).localeCompare(String(y.id)));
    for (const [org, live] of [
      [plain, livePlain],
      [capturing, liveCapturing],
    ] as const) {
      const history = await org.gql<{ usageEvents: { nodes: Record<string, unknown>[] } }>(`{ usageEvents { nodes { ${EVERY_EVENT_FIELD} } } }`);
      expect(byId(live.events)).toEqual(byId(history.data!.usageEvents.nodes));
      expect(live.errors).toEqual([]);
    }
    expect(livePlain.events.map((e) => e.content)).toEqual([null, null]);
    expect(livePlain.events.map((e) => e.id)).toContain(events[0].id.toLowerCase());
    expect(liveCapturing.events.find((e) => e.id === events[2].id)).toMatchObject({ content, approvalId: everything.approvalId });
  });

  it('needs events:read', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const node = await createNodeTokenFor(org);
    const asNode = await subscribeEvents({ ...org, token: node });
    await waitFor(() => asNode.errors.length > 0);
    expect(JSON.stringify(asNode.errors)).toContain('Data-plane node tokens cannot do this.');
  });
});

describe('listing stored events', () => {
  it('pages newest first and filters by key, model, decision and time', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const key1 = await keyOf(org, 'one');
    const key2 = await keyOf(org, 'two');
    const base = Date.now() - 60_000;
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const events = [
      usageEvent(org.orgId, key1, { startedAt: at(1), model: 'gpt-4o' }),
      usageEvent(org.orgId, key1, { startedAt: at(2), model: 'gpt-4o-mini', decision: 'blocked', status: 403 }),
      usageEvent(org.orgId, key2, { startedAt: at(3), model: 'gpt-4o' }),
      usageEvent(org.orgId, key2, { startedAt: at(4), model: 'claude-3-5-haiku', provider: 'anthropic', api: 'anthropic' }),
      usageEvent(org.orgId, key1, { startedAt: at(5), model: 'gpt-4o' }),
    ];
    await postEvents(cp, nodeToken, batch(events));
    const query = `query($filter: UsageEventFilter, $first: Int, $after: String) {
      usageEvents(filter: $filter, first: $first, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }`;
    type Page = { usageEvents: { nodes: { id: string }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
    const ids = (page: Page) => page.usageEvents.nodes.map((n) => n.id);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { data: Page | null } = await org.gql<Page>(query, { first: 2, after });
      seen.push(...ids(page.data!));
      if (!page.data!.usageEvents.pageInfo.hasNextPage) break;
      after = page.data!.usageEvents.pageInfo.endCursor;
    }
    expect(seen).toEqual([...events].reverse().map((e) => e.id));

    const byKey = await org.gql<Page>(query, { filter: { keyId: key2 } });
    expect(ids(byKey.data!)).toEqual([events[3].id, events[2].id]);
    const byModel = await org.gql<Page>(query, { filter: { model: 'gpt-4o' } });
    expect(ids(byModel.data!)).toEqual([events[4].id, events[2].id, events[0].id]);
    const byDecision = await org.gql<Page>(query, { filter: { decision: 'BLOCKED' } });
    expect(ids(byDecision.data!)).toEqual([events[1].id]);
    const byTime = await org.gql<Page>(query, { filter: { from: at(2), to: at(4) } });
    expect(ids(byTime.data!)).toEqual([events[2].id, events[1].id]);

    const other = await createOrgWithMember(cp, 'owner');
    expect(ids((await other.gql<Page>(query, {})).data!)).toEqual([]);
    const bad = await org.gql(query, { first: 500 });
    expect(bad.errors?.[0].message).toBe('`first` must be from 1 to 200.');
  });

  it('filters by request id, provider, status class, tag and custom metadata', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const base = Date.now() - 60_000;
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const events = [
      usageEvent(org.orgId, keyId, { startedAt: at(1), tags: ['pii', 'eu'], meta: [{ name: 'customer', value: 'acme' }] }),
      usageEvent(org.orgId, keyId, { startedAt: at(2), status: 429, decision: 'rate_limited', meta: [{ name: 'customer', value: 'globex' }] }),
      usageEvent(org.orgId, keyId, { startedAt: at(3), status: 502, decision: 'error', provider: 'anthropic', api: 'anthropic', tags: ['eu'] }),
      usageEvent(org.orgId, keyId, { startedAt: at(4), meta: [{ name: 'run', value: 'acme' }] }),
    ];
    await postEvents(cp, nodeToken, batch(events));
    const query = `query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { id } } }`;
    const ids = async (filter: Record<string, unknown>) => {
      const res = await org.gql<{ usageEvents: { nodes: { id: string }[] } }>(query, { filter });
      expect(res.errors).toBeUndefined();
      return res.data!.usageEvents.nodes.map((n) => n.id);
    };
    expect(await ids({ requestId: events[1].requestId })).toEqual([events[1].id]);
    expect(await ids({ provider: 'ANTHROPIC' })).toEqual([events[2].id]);
    expect(await ids({ statusClass: 'SUCCESS_2XX' })).toEqual([events[3].id, events[0].id]);
    expect(await ids({ statusClass: 'CLIENT_ERROR_4XX' })).toEqual([events[1].id]);
    expect(await ids({ statusClass: 'SERVER_ERROR_5XX' })).toEqual([events[2].id]);
    expect(await ids({ tag: 'eu' })).toEqual([events[2].id, events[0].id]);
    expect(await ids({ tag: 'e' })).toEqual([]);
    expect(await ids({ meta: { name: 'Customer', value: 'acme' } })).toEqual([events[0].id]);
    expect(await ids({ meta: { name: 'customer', value: 'acm' } })).toEqual([]);
    expect(await ids({ tag: 'eu', statusClass: 'SUCCESS_2XX' })).toEqual([events[0].id]);

    const tooLong = await org.gql(query, { filter: { meta: { name: 'n'.repeat(65), value: 'x' } } });
    expect(tooLong.errors?.[0].message).toMatch(/name/);
    expect(JSON.stringify(tooLong.errors)).not.toMatch(/at .*\.js:\d+/);
  });

  it('finds requests by the words of their captured content, through the full-text index', async () => {
    const capturing = await createOrgWithMember(cp, 'owner', { contentCapture: true });
    const plain = await createOrgWithMember(cp, 'owner');
    const capturingKey = await keyOf(capturing);
    const base = Date.now() - 60_000;
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const refund = { request: 'Please refund order 1234 for the customer', response: 'Refunds are processed within five days.' };
    const events = [
      usageEvent(capturing.orgId, capturingKey, { startedAt: at(1), content: refund }),
      usageEvent(capturing.orgId, capturingKey, { startedAt: at(2), content: { request: 'Summarise the quarterly report', response: 'Revenue grew.' } }),
      usageEvent(capturing.orgId, capturingKey, { startedAt: at(3) }),
    ];
    await postEvents(cp, nodeToken, batch(events));
    await postEvents(cp, nodeToken, batch([usageEvent(plain.orgId, await keyOf(plain), { startedAt: at(4), content: refund })]));
    const query = `query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { id } } }`;
    const ids = async (member: OrgMember, filter: Record<string, unknown>) => {
      const res = await member.gql<{ usageEvents: { nodes: { id: string }[] } }>(query, { filter });
      expect(res.errors).toBeUndefined();
      return res.data!.usageEvents.nodes.map((n) => n.id);
    };
    // Stemmed words from the prompt or the completion, phrases, exclusions and `or`.
    expect(await ids(capturing, { search: 'refunded' })).toEqual([events[0].id]);
    expect(await ids(capturing, { search: 'processed days' })).toEqual([events[0].id]);
    expect(await ids(capturing, { search: '"quarterly report"' })).toEqual([events[1].id]);
    expect(await ids(capturing, { search: '"report quarterly"' })).toEqual([]);
    expect(await ids(capturing, { search: 'refund or revenue' })).toEqual([events[1].id, events[0].id]);
    expect(await ids(capturing, { search: 'refund -customer' })).toEqual([]);
    expect(await ids(capturing, { search: 'refund', keyId: capturingKey, from: at(0) })).toEqual([events[0].id]);
    // Content that was never captured (capture off) is never found.
    expect(await ids(plain, { search: 'refund' })).toEqual([]);
    // Punctuation alone searches for nothing rather than failing.
    expect(await ids(capturing, { search: '!!!' })).toEqual([]);

    const tooLong = await capturing.gql(query, { filter: { search: 'x'.repeat(501) } });
    expect(tooLong.errors?.[0].message).toMatch(/search/);

    // The search condition the service writes is served by the expression index (shown without
    // the organization condition: on a table this small the organization's own index is cheaper).
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    try {
      await db.query('set enable_seqscan = off');
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `explain select id from usage_events where "content" is not null and ${CONTENT_WORDS} @@ websearch_to_tsquery('english'::regconfig, $1)`,
        ['refund'],
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('usage_events_content_search_idx');
    } finally {
      await db.end();
    }
  });
});

describe('finding events by the policy rule that matched', () => {
  it('filters the history and the live feed by policy and rule, shadow matches included', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const keyId = await keyOf(org);
    const guardrails = randomUUID();
    const trial = randomUUID();
    const match = (policyId: string, ruleId: string, shadow = false) =>
      ({ policyId, policyVersion: 2, ruleId, action: 'redact', phase: 'request', shadow }) as const;
    const byRule = await subscribeEvents(org, { policyId: guardrails, ruleId: 'contacts' });
    const events = [
      usageEvent(org.orgId, keyId, { policyMatches: [match(guardrails, 'contacts')] }),
      usageEvent(org.orgId, keyId, { policyMatches: [match(guardrails, 'secrets'), match(trial, 'contacts', true)] }),
      usageEvent(org.orgId, keyId, { policyMatches: [] }),
    ];
    await postEvents(cp, nodeToken, batch(events));
    const query = 'query($filter: UsageEventFilter) { usageEvents(filter: $filter) { nodes { id } } }';
    const ids = async (filter: Record<string, string>) =>
      (await org.gql<{ usageEvents: { nodes: { id: string }[] } }>(query, { filter })).data!.usageEvents.nodes.map((n) => n.id).sort();
    expect(await ids({ policyId: guardrails })).toEqual([events[0].id, events[1].id].sort());
    expect(await ids({ policyId: guardrails, ruleId: 'contacts' })).toEqual([events[0].id]);
    expect(await ids({ ruleId: 'contacts' })).toEqual([events[0].id, events[1].id].sort());
    expect(await ids({ policyId: trial })).toEqual([events[1].id]);
    await waitFor(() => byRule.events.length === 1);
    expect(byRule.events.map((e) => e.id)).toEqual([events[0].id]);
    const bad = await org.gql(query, { filter: { policyId: 'nope' } });
    expect(bad.errors?.[0].message).toMatch(/policy id/);
  });
});

describe('events stored before policy matches were kept', () => {
  it('read back unchanged, with no matches and no approval', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const event = usageEvent(org.orgId, await keyOf(org), { tags: ['legacy'] });
    const orm = await MikroORM.init(ormOptions(cp.databaseUrl));
    try {
      const migrator = orm.getMigrator();
      // The running control plane's background jobs (the checkpoint signer) may hold locks on a table a
      // down-migration drops; PostgreSQL then aborts one side as a deadlock, and the migration is tried again.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await migrator.down({ to: PREVIOUS_MIGRATION });
          break;
        } catch (error) {
          if (attempt === 5 || !String(error).includes('deadlock detected')) throw error;
        }
      }
      const db = orm.em.getKnex();
      const row = {
        id: event.id,
        created_at: event.startedAt,
        updated_at: event.startedAt,
        organization_id: event.orgId,
        key_id: event.keyId,
        key_prefix: event.keyPrefix,
        owner_label: event.ownerLabel,
        team_id: null,
        provider: event.provider,
        credential_id: null,
        api: event.api,
        endpoint: event.endpoint,
        model: event.model,
        stream: event.stream,
        status: event.status,
        decision: event.decision,
        error_code: null,
        started_at: event.startedAt,
        latency_ms: event.latencyMs,
        ttft_ms: event.ttftMs,
        input_tokens: event.inputTokens,
        output_tokens: event.outputTokens,
        cached_input_tokens: 0,
        cost_micros: event.costMicros,
        client_ip_hash: event.clientIpHash,
        user_agent_hash: event.userAgentHash,
        request_id: event.requestId,
        node_id: event.nodeId,
        tags: event.tags,
        content: null,
      };
      await db.raw('insert into usage_events select (json_populate_record(null::usage_events, ?::json)).*', [JSON.stringify(row)]);
      await migrator.up();
    } finally {
      await orm.close(true);
    }
    const res = await org.gql<{ usageEvents: { nodes: Record<string, unknown>[] } }>(`{ usageEvents { nodes { ${EVERY_EVENT_FIELD} } } }`);
    const { content: _content, orgId: _orgId, ...expected } = event;
    expect(res.data!.usageEvents.nodes).toEqual([
      {
        ...expected,
        provider: 'OPENAI',
        decision: 'ALLOWED',
        content: null,
        policyMatches: [],
        approvalId: null,
        routeId: null,
        attempts: [],
        traceId: null,
        cacheHit: false,
        userAgentFamilyHash: null,
        toolsOffered: [],
        anomalyScore: null,
        anomalyReasons: [],
        anomalyAction: null,
        mcpServer: null,
        mcpTool: null,
        resultBytes: null,
        hdpResult: null,
        hdpTokenId: null,
        hdpPrincipalId: null,
        hdpPrincipalType: null,
        hdpChain: [],
        gatewayMs: null,
        upstreamTtfbMs: null,
        streamMs: null,
        meta: [],
        metaDropped: null,
        receivedAt: event.startedAt,
        contentPurgedAt: null,
      },
    ]);
  });
});

describe('when the database is unavailable', () => {
  it('answers 503 so the node keeps the batch, and stores it once the database is back', async () => {
    const org = await createOrgWithMember(cp, 'owner');
    const body = batch([usageEvent(org.orgId, await keyOf(org))]);
    const dbName = new URL(cp.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    try {
      await admin.query(`alter database "${dbName}" allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
      const down = await postEvents(cp, nodeToken, body);
      expect(down.status).toBe(503);
      expect(down.body.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(down.headers.get('retry-after')).toBe('5');
    } finally {
      await admin.query(`alter database "${dbName}" allow_connections true`);
      await admin.end();
    }
    let up = await postEvents(cp, nodeToken, body);
    for (let i = 0; i < 20 && up.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      up = await postEvents(cp, nodeToken, body);
    }
    expect(up).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } });
  });

  it('never logs a node token', () => {
    expect(findSecretsInLogs(cp.logs, [nodeToken])).toEqual([]);
  });
});
