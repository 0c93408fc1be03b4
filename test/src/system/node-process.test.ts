import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hdpHeader, hdpSigner, hdpToken } from '../data-plane/support/hdp-tokens.js';
import { startToolServer } from '../mcp/support/tool-server.js';
import { BEHAVIOUR_HEADER } from '../mock-provider/index.js';
import { startPlaneProcess, type PlaneProcess } from '../support/plane-process.js';
import { eventually, freePort, startTestSystem, type TestSystem } from '../support/system.js';

/**
 * The data plane run as the real process (`npm run build` first), against one control plane
 * and mock provider shared by every test here.
 */
let system: TestSystem;
let db: pg.Client;
let dir: string;
let node: PlaneProcess | null = null;

beforeAll(async () => {
  system = await startTestSystem(inject('pgAdminUrl'));
  await system.addMockCredential();
  db = new pg.Client({ connectionString: system.cp.databaseUrl });
  await db.connect();
  dir = await mkdtemp(join(tmpdir(), 'keyward-node-process-'));
});

afterAll(async () => {
  await node?.stop();
  await db?.end();
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The environment of a node process on `port`, subscribed to the test system. */
function nodeEnv(port: number, nodeId: string, extra: Record<string, string>): Record<string, string> {
  return {
    KEYWARD_CONTROL_PLANE_URL: system.cp.url,
    KEYWARD_NODE_TOKEN: system.secrets.nodeToken,
    KEYWARD_KMS: system.secrets.kmsSpec,
    KEYWARD_KEY_PEPPER: system.secrets.pepper,
    KEYWARD_HASH_SALT: system.secrets.hashSalt,
    KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
    KEYWARD_DP_PORT: String(port),
    KEYWARD_DP_HOST: '127.0.0.1',
    KEYWARD_NODE_ID: nodeId,
    KEYWARD_DP_STATE_DIR: join(dir, nodeId),
    KEYWARD_EVENT_FLUSH_MS: '20',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/**
 * A node killed with SIGKILL the moment an agent has its whole answer loses no record of it: the
 * answer's end goes out only once the request's event is in the spool file, so the node started
 * again on its state directory ships it. The node is a process of its own (`npm run build`
 * first); its spool waits a second between fsyncs, which keeps events of back-to-back requests
 * in memory for up to that long unless the answer waits for them.
 */
describe('a node killed right after an answer', () => {
  it('ships the event of every answered request after a restart, the last one included', async () => {
    const port = await freePort();
    const env = nodeEnv(port, 'killed-node', { KEYWARD_SPOOL_SYNC_MS: '1000', KEYWARD_EVENT_RETRY_MAX_MS: '200' });
    const key = await system.createKey();
    node = await startPlaneProcess('data-plane', port, env);
    const openai = new OpenAI({ apiKey: key.secret, baseURL: `${node.url}/v1`, maxRetries: 0 });
    await eventually(() => openai.models.list().then(() => true), 20_000, 'the key served by the node');

    const answered: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
      answered.push(response.headers.get('x-request-id')!);
    }
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    for await (const _chunk of stream) {
      // read the whole answer
    }
    answered.push(response.headers.get('x-request-id')!);
    // Killed in the same turn as the last answer ended for the agent.
    node.kill('SIGKILL');
    await node.exited;

    node = await startPlaneProcess('data-plane', port, env);
    const rows = await eventually(
      async () => {
        const { rows } = await db.query<{ request_id: string; cost_micros: string }>(
          'select request_id, cost_micros from usage_events where request_id = any($1)',
          [answered],
        );
        return rows.length === answered.length ? rows : undefined;
      },
      20_000,
      'an event for each answered request',
    ).catch(async (error: Error) => {
      const { rows } = await db.query<{ request_id: string }>('select request_id from usage_events where request_id = any($1)', [answered]);
      const stored = new Set(rows.map((r) => r.request_id));
      throw new Error(`${error.message}; missing: ${answered.filter((id) => !stored.has(id)).join(', ')} of ${answered.join(', ')}`);
    });
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(answered));
    for (const row of rows) expect(Number(row.cost_micros)).toBeGreaterThan(0);
    await node.stop();
    node = null;
  }, 120_000);
});

const ALLOWED = 4;
const SENT = 12;

/**
 * A data-plane process with `KEYWARD_DP_WORKERS=2` (built, `npm run build` first): connections
 * go to both worker threads, the in-memory rate-limit counters are one set for both, a session
 * opened on one worker (an HDP token's, an aggregated `/mcp` one) is known to the other, `/metrics`
 * adds both up, and SIGTERM drains every worker, ships their events and exits 0.
 */
describe('a data-plane process with two workers', () => {
  const issuer = hdpSigner('idp-workers');
  let tools: Awaited<ReturnType<typeof startToolServer>> | null = null;
  afterAll(() => tools?.close());

  it('serves on both threads, admits exactly what one shared rate limit allows, shares sessions, and drains on SIGTERM', async () => {
    // Made before the node starts, so every worker's first config has them.
    tools = await startToolServer();
    const trusted = await system.owner.gql(
      'mutation($k: String!) { addTrustedIssuer(input: { name: "Workers IdP", kid: "idp-workers", publicKey: $k }) { id } }',
      {
        k: issuer.publicKey,
      },
    );
    const server = await system.owner.gql(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`, {
      input: { name: 'records', url: tools.url, credential: { bearerToken: 'mcp-upstream-token-workers' } },
    });
    expect([trusted.errors, server.errors]).toEqual([undefined, undefined]);
    const key = await system.createKey({ mcpAccess: [{ server: 'records', tools: ['list_records'] }] });
    const limited = await system.createKey();
    const created = await system.owner.gql<{ createRateLimit: { id: string } }>(
      `mutation($key: ID!) { createRateLimit(input: { name: "four a minute", scopeKind: KEY, scopeId: $key, requestsPerMinute: ${ALLOWED} }) { id } }`,
      { key: limited.id },
    );
    expect(created.errors).toBeUndefined();
    const port = await freePort();
    node = await startPlaneProcess('data-plane', port, nodeEnv(port, 'two-worker-node', { KEYWARD_DP_WORKERS: '2', KEYWARD_DRAIN_SECONDS: '10' }));
    const openai = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${node!.url}/v1`, maxRetries: 0 });
    // Each worker subscribes to the config on its own: both serve the keys once ready.
    await eventually(
      async () => {
        const lists = await Promise.all(
          Array.from({ length: 8 }, () =>
            openai(key.secret)
              .models.list()
              .then(
                () => true,
                () => false,
              ),
          ),
        );
        return lists.every(Boolean) || undefined;
      },
      20_000,
      'both workers serving the key',
    );

    // Fresh connections, one per request: the acceptor hands them to the workers in turn.
    const statuses = await Promise.all(
      Array.from({ length: SENT }, () =>
        fetch(`${node!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${limited.secret}`, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        }).then(async (res) => (await res.text(), res.status)),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(ALLOWED);
    expect(statuses.filter((s) => s === 429)).toHaveLength(SENT - ALLOWED);
    const served = node.logs.filter((line) => line.includes('"requestId"') && line.includes('"status":'));
    expect(new Set(served.map((line) => (JSON.parse(line) as { worker: number }).worker))).toEqual(new Set([0, 1]));
    // Whichever worker answers /metrics, it counts the refusals of both.
    for (let i = 0; i < 2; i++) {
      const metrics = await (await fetch(`${node.url}/metrics`, { headers: { connection: 'close' } })).text();
      const refused = [...metrics.matchAll(/^keyward_dp_requests_total\{[^}]*status="429"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(refused).toBe(SENT - ALLOWED);
    }

    // Each request on a fresh connection, so consecutive ones go to different workers.
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      fetch(`${node!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json', connection: 'close', ...headers },
        body: JSON.stringify(body),
      });
    // An HDP token id used in one session is refused in another on either worker.
    const tokenId = crypto.randomUUID();
    const chat = async (sessionId: string) => {
      const res = await post(
        '/v1/chat/completions',
        { 'x-hdp-token': hdpHeader(hdpToken({ issuer, tokenId, sessionId })) },
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        },
      );
      return { status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code };
    };
    expect(await chat('sess-a')).toEqual({ status: 200, code: undefined });
    for (let i = 0; i < 2; i++) expect(await chat('sess-b')).toEqual({ status: 401, code: 'hdp_session_mismatch' });
    // An aggregated /mcp session opened on one worker serves on both, reusing Keyward's session with the server.
    const mcp = { accept: 'application/json, text/event-stream' };
    const initialize = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'two-worker-test', version: '1' } };
    const opened = await post('/mcp', mcp, { jsonrpc: '2.0', id: 1, method: 'initialize', params: initialize });
    const sessionId = opened.headers.get('mcp-session-id')!;
    expect([opened.status, sessionId]).toEqual([200, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    for (let i = 0; i < 2; i++) {
      const listed = await post('/mcp', { ...mcp, 'mcp-session-id': sessionId }, { jsonrpc: '2.0', id: 2 + i, method: 'tools/list' });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)).toEqual(['records__list_records']);
    }
    expect(new Set(tools.log.requests.map((r) => r.sessionId).filter(Boolean)).size).toBe(1);

    // SIGTERM while a stream is open: it finishes, its event is shipped, the process exits 0.
    const { data: stream, response } = await openai(key.secret)
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
        { headers: { [BEHAVIOUR_HEADER]: JSON.stringify({ text: 'abcdefgh', chunks: 8, intervalMs: 60 }) } },
      )
      .withResponse();
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text.length === 1) node.kill('SIGTERM');
    }
    expect(text).toBe('abcdefgh');
    expect(await node.exited).toBe(0);
    node = null;
    const requestId = response.headers.get('x-request-id')!;
    await eventually(
      async () => ((await db.query('select 1 from usage_events where request_id = $1', [requestId])).rowCount === 1 ? true : undefined),
      10_000,
      'the drained stream’s event stored',
    );
  }, 60_000);
});

/** Debian's libfaketime (`apt-get install faketime`; `.ci/run` installs it). */
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'];
/** Spend on the budget: 3 calls of 1,000 tokens in and out on gpt-4o-mini ($0.15 and $0.60 per million) cost 750 micro-dollars each. */
const CALL_COST = 750;
const BUDGET_CALLS = 3;
const PER_MINUTE = 3;
const HOLD_SECONDS = 2;

/** One chat completion with `secret`: its status, error code and request id. */
async function chat(url: string, secret: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      [BEHAVIOUR_HEADER]: JSON.stringify({ usage: { inputTokens: 1_000, outputTokens: 1_000 } }),
      ...headers,
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code ?? null, requestId: res.headers.get('x-request-id')! };
}

/**
 * A node whose wall clock steps, as an NTP correction or a person setting the date would step
 * it: the node runs under libfaketime with only `CLOCK_REALTIME` faked (`DONT_FAKE_MONOTONIC=1`),
 * its offset re-read from a file on every read, so `Date.now()` jumps two days ahead and then
 * three hours behind mid-run while timers and `performance.now()` keep real time. The node
 * enforces on its fleet clock (monotonic, anchored to the control plane's time), so neither jump
 * opens a new budget period, reopens a rate-limit window, expires a key early or late, or
 * stretches an approval hold, and every event carries the real time.
 */
describe('a node whose wall clock jumps two days ahead, then three hours behind', () => {
  it('keeps budgets, rate limits, key expiry and approval holds on real time, and records every request once', async () => {
    const lib = LIBFAKETIME.find((path) => existsSync(path));
    if (lib === undefined) throw new Error('libfaketime is not installed: run `apt-get install faketime` (.ci/run installs it) to test clock jumps.');
    const budgetKey = await system.createKey();
    const budget = await system.owner.gql(
      'mutation($key: ID!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: DAY, limit: "0.00225" }) { id } }',
      {
        key: budgetKey.id,
      },
    );
    expect(budget.errors).toBeUndefined();
    const rateKey = await system.createKey();
    const holdKey = await system.createKey();
    const limit = await system.owner.gql(
      `mutation($key: ID!) { createRateLimit(input: { name: "three a minute", scopeKind: KEY, scopeId: $key, requestsPerMinute: ${PER_MINUTE} }) { id } }`,
      { key: rateKey.id },
    );
    expect(limit.errors).toBeUndefined();
    const policy = await system.owner.gql<{ createPolicy: { id: string } }>('mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }', {
      input: {
        source: JSON.stringify({
          name: 'clock jump hold',
          rules: [
            {
              id: 'hold',
              when: { header: { name: 'x-keyward-clock', eq: 'hold' } },
              action: { type: 'hold', timeoutSeconds: HOLD_SECONDS, onTimeout: 'block' },
            },
          ],
        }),
      },
    });
    expect(policy.errors).toBeUndefined();
    const attached = await system.owner.gql('mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }', { id: policy.data!.createPolicy.id });
    expect(attached.errors).toBeUndefined();

    const offsetFile = join(dir, 'faketime-offset');
    await writeFile(offsetFile, '+0\n');
    const port = await freePort();
    node = await startPlaneProcess(
      'data-plane',
      port,
      nodeEnv(port, 'jumping-clock-node', {
        LD_PRELOAD: lib,
        FAKETIME_TIMESTAMP_FILE: offsetFile,
        FAKETIME_NO_CACHE: '1',
        DONT_FAKE_MONOTONIC: '1',
        KEYWARD_HEARTBEAT_SECONDS: '1',
      }),
    );
    const url = node.url;
    const startedAt = Date.now();
    // Expires in real time a few seconds from now, while the node's wall clock is elsewhere.
    const expiresAt = startedAt + 6_000;
    const expiringKey = await system.createKey({ expiresAt: new Date(expiresAt).toISOString() });
    await eventually(async () => ((await chat(url, expiringKey.secret)).status === 200 ? true : undefined), 5_000, 'the expiring key served');

    const sent: string[] = [];
    const statuses = async (secret: string, count: number) => {
      const answers = [];
      for (let i = 0; i < count; i++) answers.push(await chat(url, secret));
      sent.push(...answers.map((a) => a.requestId));
      return answers.map((a) => `${a.status} ${a.code ?? ''}`.trim());
    };
    // Real time: the budget admits its three calls, the window its three.
    expect(await statuses(budgetKey.secret, BUDGET_CALLS + 1)).toEqual([...Array(BUDGET_CALLS).fill('200'), '429 budget_exceeded']);
    expect(await statuses(rateKey.secret, PER_MINUTE + 1)).toEqual([...Array(PER_MINUTE).fill('200'), '429 rate_limited']);

    // Two days ahead: past the budget's day and the key's expiry on the node's wall clock.
    await writeFile(offsetFile, '+2d\n');
    expect(await statuses(budgetKey.secret, 2)).toEqual(['429 budget_exceeded', '429 budget_exceeded']);
    expect(await statuses(rateKey.secret, 2)).toEqual(['429 rate_limited', '429 rate_limited']);
    expect(await statuses(expiringKey.secret, 1)).toEqual(['200']);

    // Three hours behind: a hold lasts its real two seconds, and the control plane gets its real deadline.
    await writeFile(offsetFile, '-3h\n');
    const holdFrom = Date.now();
    const held = await chat(url, holdKey.secret, { 'x-keyward-clock': 'hold' });
    const heldFor = Date.now() - holdFrom;
    sent.push(held.requestId);
    expect(held.status).toBe(403);
    expect(held.code).toBe('approval_timeout');
    expect(heldFor).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000 - 100);
    expect(heldFor).toBeLessThan(HOLD_SECONDS * 1000 + 3_000);
    const { rows: approvals } = await db.query<{ created_at: Date; expires_at: Date }>(
      'select created_at, expires_at from approval_requests where request_id = $1',
      [held.requestId],
    );
    expect(approvals).toHaveLength(1);
    expect(Math.abs(approvals[0]!.expires_at.getTime() - (holdFrom + HOLD_SECONDS * 1000))).toBeLessThan(1_500);
    expect(await statuses(budgetKey.secret, 1)).toEqual(['429 budget_exceeded']);
    expect(await statuses(rateKey.secret, 1)).toEqual(['429 rate_limited']);
    // The key expires at its real time, not three hours later.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt + 200 - Date.now())));
    expect(await statuses(expiringKey.secret, 1)).toEqual(['401 key_expired']);

    // Every request recorded once, at its real time; the budget's spend is its three calls exactly.
    const { rows } = await eventually(
      async () => {
        const found = await db.query<{ request_id: string; started_at: Date }>('select request_id, started_at from usage_events where request_id = any($1)', [
          sent,
        ]);
        return found.rows.length >= sent.length ? found : undefined;
      },
      10_000,
      'an event for every request',
    );
    expect(rows.map((r) => r.request_id).sort()).toEqual([...sent].sort());
    for (const row of rows) expect(Math.abs(row.started_at.getTime() - startedAt)).toBeLessThan(60_000);
    const spend = await db.query<{ cost: string }>('select coalesce(sum(cost_micros), 0) as cost from usage_events where key_id = $1', [budgetKey.id]);
    expect(Number(spend.rows[0]!.cost)).toBe(BUDGET_CALLS * CALL_COST);
    expect(node.logs.filter((line) => line.includes("differed from the control plane's"))).toEqual([]);
    await node.stop();
    node = null;
  }, 60_000);
});
