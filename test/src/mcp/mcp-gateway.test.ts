import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startToolServer, type ToolServer } from './support/tool-server.js';

const UPSTREAM_TOKEN = 'mcp-upstream-token-7f3a9c1e5b';

/**
 * Agents reach MCP servers through Keyward at `/mcp/<server>` with their Keyward key: the real
 * MCP client of the official SDK talks to a real MCP server of the same SDK, and Keyward keeps
 * the upstream credential, the key's tool list and the JSON-RPC in between.
 */
describe('MCP servers behind Keyward', () => {
  let system: TestSystem;
  let tools: ToolServer;
  let faults: FaultProxy;
  let agentKey: { id: string; secret: string };
  let serverId: string;
  const clients: Client[] = [];

  /** An MCP client of the official SDK, connected through Keyward with `secret`. */
  const connect = async (secret: string, server = 'records') => {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${system.dp.url}/mcp/${server}`), {
      requestInit: { headers: { Authorization: `Bearer ${secret}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };
  /** Runs a change and waits until the node serves the config version it published. */
  const published = async <T>(change: () => Promise<{ data?: T | null; errors?: unknown }>): Promise<T> => {
    const before = system.dp.node.readiness().version ?? 0;
    const res = await change();
    expect(res.errors).toBeUndefined();
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 10_000, 'the change to reach the node');
    return res.data!;
  };

  beforeAll(async () => {
    // A short wait for the first byte, for the server that never answers; no periodic spend reconciliation, so a
    // budget's spend reaches the node's counters only through the figure the budget is published with.
    system = await startTestSystem(inject('pgAdminUrl'), {
      dataPlaneEnv: { KEYWARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000', KEYWARD_SPEND_RECONCILE_SECONDS: '0' },
    });
    tools = await startToolServer();
    faults = await startFaultProxy(tools.url);
    const created = await published(() =>
      system.owner.gql<{ createMcpServer: { id: string; lastFour: string; authKind: string } }>(
        `mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id lastFour authKind } }`,
        { input: { name: 'records', url: tools.url, credential: { bearerToken: UPSTREAM_TOKEN } } },
      ),
    );
    serverId = created.createMcpServer.id;
    expect(created.createMcpServer).toMatchObject({ lastFour: UPSTREAM_TOKEN.slice(-4), authKind: 'BEARER' });
    const flaky = await system.owner.gql(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`, {
      input: { name: 'flaky', url: faults.url, credential: { apiKeyHeader: { name: 'X-API-Key', value: UPSTREAM_TOKEN } } },
    });
    expect(flaky.errors).toBeUndefined();
    agentKey = await system.createKey({
      mcpAccess: [
        { server: 'records', tools: ['list_records', 'slow_count', 'read_config'] },
        { server: 'flaky', tools: ['*'] },
      ],
    });
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await faults?.close();
    await tools?.close();
    await system?.close();
  });

  it('lists only the tools the key may call, and runs them with the upstream credential in place of the key', async () => {
    const { client } = await connect(agentKey.secret);
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name).sort()).toEqual(['list_records', 'read_config', 'slow_count']);
    expect(listed.tools.find((t) => t.name === 'list_records')?.inputSchema).toMatchObject({ required: ['table'] });

    const result = await client.callTool({ name: 'list_records', arguments: { table: 'customers' } });
    expect(result.content).toEqual([{ type: 'text', text: '3 records in customers' }]);

    expect(tools.log.requests.length).toBeGreaterThan(0);
    for (const request of tools.log.requests) expect(request.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
  });

  it('refuses a tool the key may not call with a JSON-RPC error, and never forwards it', async () => {
    const { client } = await connect(agentKey.secret);
    const refused = await client.callTool({ name: 'delete_records', arguments: { table: 'customers' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain('This Keyward key may not call the tool "delete_records" of MCP server "records"');
    expect(tools.log.calls.map((c) => c.tool)).not.toContain('delete_records');
    // The session goes on.
    expect((await client.callTool({ name: 'list_records', arguments: { table: 'orders' } })).content).toEqual([{ type: 'text', text: '3 records in orders' }]);
  });

  it('passes progress notifications of a slow tool through as they come', async () => {
    const { client } = await connect(agentKey.secret);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow_count', arguments: { to: 4 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 4' }]);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('passes the session through, and its end (DELETE) reaches the server', async () => {
    const { client, transport } = await connect(agentKey.secret);
    await client.listTools();
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(tools.log.requests.filter((r) => r.sessionId === sessionId).length).toBeGreaterThan(0);
    await transport.terminateSession();
    await eventually(() => (tools.log.closedSessions.includes(sessionId) ? true : undefined), 5_000, 'the session to close on the server');
  });

  it('turns away a key without access to the server, an unknown server and a missing key', async () => {
    const stranger = await system.createKey();
    await expect(connect(stranger.secret)).rejects.toThrow(/This Keyward key may not use MCP server/);
    await expect(connect(agentKey.secret, 'nowhere')).rejects.toThrow(/This organization has no MCP server named/);
    await expect(connect('kw_not-a-key')).rejects.toThrow(/Invalid Keyward key/);
  });

  it('turns away a key frozen after an anomaly until a person unfreezes it', async () => {
    const frozen = await system.createKey({ mcpAccess: [{ server: 'records', tools: ['list_records'] }] });
    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      await db.query(`update keys set frozen_at = now(), frozen_reason = 'requests 40× the key''s usual rate' where id = $1`, [frozen.id]);
    } finally {
      await db.end();
    }
    // Any change publishes the organization again, the key's freeze with it.
    await published(() => system.owner.gql('mutation { createKey(input: { name: "nudge", ownerLabel: "test" }) { secret } }'));
    const calls = tools.log.calls.length;
    await expect(connect(frozen.secret)).rejects.toThrow(/This Keyward key was frozen at .* after unusual activity \(requests 40× the key's usual rate\)/);
    expect(tools.log.calls.length).toBe(calls);
    await published(() => system.owner.gql('mutation($id: ID!) { unfreezeKey(id: $id) { id } }', { id: frozen.id }));
    const { client } = await connect(frozen.secret);
    expect((await client.callTool({ name: 'list_records', arguments: { table: 'orders' } })).content).toEqual([{ type: 'text', text: '3 records in orders' }]);
  });

  it('answers malformed JSON-RPC and batches with JSON-RPC errors, and keeps serving', async () => {
    const post = (body: string) =>
      fetch(`${system.dp.url}/mcp/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentKey.secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
      });
    const broken = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'The request body is not valid JSON.' } });

    const batch = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_records', arguments: {} } }]));
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { error: { code: number; message: string } }).error).toEqual({
      code: -32600,
      message: 'JSON-RPC batches are not supported: send one message per request.',
    });

    const noMethod = await post(JSON.stringify({ jsonrpc: '2.0', id: 7 }));
    expect(noMethod.status).toBe(400);
    expect(await noMethod.json()).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(tools.log.calls.map((c) => c.tool)).not.toContain('delete_records');

    const { client } = await connect(agentKey.secret);
    expect((await client.listTools()).tools).toHaveLength(3);
  });

  it('answers a server that returns invalid JSON, never answers or breaks off its stream with a JSON-RPC error, and keeps serving', async () => {
    const { client } = await connect(agentKey.secret, 'flaky');
    // An API-key header credential reaches the server in its own header, and the session works through the proxy.
    expect((await client.listTools()).tools).toHaveLength(4);
    const failureOf = (table: string) => client.callTool({ name: 'list_records', arguments: { table } }).catch((e: unknown) => e);

    const invalid = await failureOf('invalid-json');
    expect(invalid).toBeInstanceOf(McpError);
    expect((invalid as McpError).message).toContain('MCP server "flaky" answered with invalid JSON');

    const started = Date.now();
    const silent = await failureOf('hang');
    expect((silent as McpError).message).toContain('MCP server "flaky" did not answer in time');
    expect(Date.now() - started).toBeLessThan(10_000);

    const cut = await failureOf('cut');
    expect(cut).toBeInstanceOf(McpError);
    expect((cut as McpError).message).toContain('MCP server "flaky" could not be reached or broke off its answer');

    expect((await client.callTool({ name: 'list_records', arguments: { table: 'after' } })).content).toEqual([{ type: 'text', text: '3 records in after' }]);
  });

  it('records every tool call in the event stream, with its decision, and every refused message', async () => {
    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      type Row = Record<string, unknown>;
      const rows = await eventually(
        async () => {
          const { rows } = await db.query<Row>(`select * from usage_events where api = 'mcp' order by started_at`);
          const calls = rows.filter((r) => r.endpoint === 'tools/call');
          const flakyCalls = calls.filter((r) => r.mcp_server === 'flaky');
          // Each test's last call is recorded after its answer, so wait for all of them, the flaky server's four included.
          return calls.length >= 8 && flakyCalls.length >= 4 && rows.some((r) => r.error_code === 'invalid_json') ? rows : undefined;
        },
        10_000,
        'the MCP events to be stored',
      );
      const calls = rows.filter((r) => r.endpoint === 'tools/call');
      const listRecords = calls.find((r) => r.mcp_tool === 'list_records')!;
      expect(listRecords).toMatchObject({
        key_id: agentKey.id,
        mcp_server: 'records',
        decision: 'allowed',
        status: 200,
        error_code: null,
        model: null,
        content: null,
      });
      expect(Number(listRecords.result_bytes)).toBe(Buffer.byteLength(JSON.stringify({ content: [{ type: 'text', text: '3 records in customers' }] })));
      expect(Number(listRecords.latency_ms)).toBeGreaterThanOrEqual(0);
      expect(calls.find((r) => r.mcp_tool === 'delete_records')).toMatchObject({
        decision: 'denied',
        status: 200,
        error_code: 'tool_not_allowed',
        result_bytes: null,
      });
      expect(calls.find((r) => r.mcp_tool === 'slow_count')).toMatchObject({ decision: 'allowed', error_code: null });
      expect(Number(calls.find((r) => r.mcp_tool === 'slow_count')!.latency_ms)).toBeGreaterThanOrEqual(200);
      const flaky = calls.filter((r) => r.mcp_server === 'flaky');
      expect(flaky.map((r) => [r.decision, r.error_code])).toEqual([
        ['error', 'upstream_error'],
        ['error', 'upstream_timeout'],
        ['error', 'upstream_unavailable'],
        ['allowed', null],
      ]);
      expect(rows.find((r) => r.error_code === 'invalid_json')).toMatchObject({ endpoint: 'invalid', decision: 'error', status: 400, mcp_tool: null });
      // Protocol chatter (initialize, tools/list, notifications) is not recorded.
      expect(rows.map((r) => r.endpoint)).not.toContain('tools/list');
      // The console's events API shows them too.
      const res = await system.owner.gql<{ usageEvents: { nodes: Record<string, unknown>[] } }>(
        `{ usageEvents { nodes { api endpoint mcpServer mcpTool resultBytes decision errorCode } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.usageEvents.nodes).toContainEqual({
        api: 'mcp',
        endpoint: 'tools/call',
        mcpServer: 'records',
        mcpTool: 'delete_records',
        resultBytes: null,
        decision: 'DENIED',
        errorCode: 'tool_not_allowed',
      });
    } finally {
      await db.end();
    }
  });

  it('keeps the upstream credential write-only: never in answers or logs', async () => {
    const listed = await system.owner.gql<{ mcpServers: Record<string, unknown>[] }>('{ mcpServers { id name url authKind lastFour secretVersion } }');
    expect(listed.data!.mcpServers).toContainEqual({
      id: serverId,
      name: 'records',
      url: tools.url,
      authKind: 'BEARER',
      lastFour: UPSTREAM_TOKEN.slice(-4),
      secretVersion: 1,
    });
    expect(JSON.stringify(listed)).not.toContain(UPSTREAM_TOKEN);
    for (const line of system.allLogs()) {
      expect(line).not.toContain(UPSTREAM_TOKEN);
      expect(line).not.toContain(agentKey.secret);
    }
  });

  it('serves every server the key may use at /mcp, each tool named <server>__<tool>, in sessions of its own with each server', async () => {
    const client = new Client({ name: 'aggregating-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${system.dp.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${agentKey.secret}` } },
    });
    await client.connect(transport);
    clients.push(client);
    expect(client.getServerVersion()?.name).toBe('keyward');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'flaky__delete_records',
      'flaky__list_records',
      'flaky__read_config',
      'flaky__slow_count',
      'records__list_records',
      'records__read_config',
      'records__slow_count',
    ]);

    const progress: number[] = [];
    const counted = await client.callTool({ name: 'records__slow_count', arguments: { to: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(counted.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
    expect(progress).toEqual([1, 2, 3]);
    // Keyward's own session with the server, with the server's credential: never the agent's session or key.
    const last = tools.log.requests.at(-1)!;
    expect(last.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
    expect(last.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(last.sessionId).not.toBe(transport.sessionId);

    const refused = await client.callTool({ name: 'records__delete_records', arguments: { table: 'customers' } }).catch((e: unknown) => e);
    expect((refused as McpError).message).toContain('This Keyward key may not call the tool "delete_records" of MCP server "records"');
    const unnamed = await client.callTool({ name: 'list_records', arguments: { table: 'customers' } }).catch((e: unknown) => e);
    expect((unnamed as McpError).message).toContain('On the aggregated endpoint a tool is named "<server>__<tool>".');
    expect(tools.log.calls.map((c) => c.tool)).not.toContain('delete_records');

    const stranger = await fetch(`${system.dp.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agentKey.secret}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'not-a-session',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stranger.status).toBe(404);
    await transport.terminateSession();
  });

  it('limits calls per minute of a tool for each key, and charges each call its price against the key’s budgets', async () => {
    const updated = await published(() =>
      system.owner.gql<{ updateMcpServer: { tools: unknown[] } }>(
        `mutation($id: ID!) { updateMcpServer(id: $id, input: { tools: [
          { name: "list_records", callsPerMinute: 2, costMicros: 1500 },
          { name: "read_config", costMicros: 400000 }
        ] }) { tools { name callsPerMinute costMicros } } }`,
        { id: serverId },
      ),
    );
    expect(updated.updateMcpServer.tools).toEqual([
      { name: 'list_records', callsPerMinute: 2, costMicros: 1500 },
      { name: 'read_config', callsPerMinute: null, costMicros: 400000 },
    ]);
    const key = await system.createKey({ name: 'metered agent', mcpAccess: [{ server: 'records', tools: ['*'] }] });
    await published(() =>
      system.owner.gql('mutation($key: ID!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: DAY, limit: "0.50" }) { id } }', { key: key.id }),
    );
    const { client } = await connect(key.secret);
    const call = (name: string) => client.callTool({ name, arguments: { table: 'metered' } }).catch((e: unknown) => e as McpError);

    expect(((await call('list_records')) as { content: unknown }).content).toEqual([{ type: 'text', text: '3 records in metered' }]);
    await call('list_records');
    const limited = await call('list_records');
    expect((limited as McpError).message).toMatch(
      /This Keyward key may call the tool "list_records" of MCP server "records" 2 times a minute; retry in \d+ s\./,
    );
    // Another key has its own allowance.
    const other = await connect(agentKey.secret);
    expect(((await other.client.callTool({ name: 'list_records', arguments: { table: 'other' } })) as { content: unknown }).content).toBeDefined();

    const reads = () => tools.log.calls.filter((c) => c.tool === 'read_config').length;
    const readsBefore = reads();
    expect(((await call('read_config')) as { content: unknown[] }).content).toHaveLength(1);
    const broke = await call('read_config');
    expect(broke).toBeInstanceOf(McpError);
    expect((broke as McpError).message).toContain(
      'A call of the tool "read_config" of MCP server "records" costs 400000 micro-dollars, and a key budget has 97000 of 500000 left this period.',
    );
    // The refused call never reached the server.
    expect(reads()).toBe(readsBefore + 1);

    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      const rows = await eventually(
        async () => {
          const { rows } = await db.query<{ mcp_tool: string; decision: string; error_code: string | null; cost_micros: string }>(
            `select mcp_tool, decision, error_code, cost_micros from usage_events where key_id = $1 and endpoint = 'tools/call' order by started_at`,
            [key.id],
          );
          return rows.length >= 5 ? rows : undefined;
        },
        10_000,
        'the metered calls to be stored',
      );
      expect(rows.map((r) => [r.mcp_tool, r.decision, r.error_code, Number(r.cost_micros)])).toEqual([
        ['list_records', 'allowed', null, 1500],
        ['list_records', 'allowed', null, 1500],
        ['list_records', 'rate_limited', 'rate_limited', 0],
        ['read_config', 'allowed', null, 400000],
        ['read_config', 'budget_exceeded', 'budget_exceeded', 0],
      ]);
    } finally {
      await db.end();
    }
    const invalid = await system.owner.gql(
      `mutation($id: ID!) { updateMcpServer(id: $id, input: { tools: [{ name: "a", callsPerMinute: 1 }, { name: "a" }] }) { id } }`,
      {
        id: serverId,
      },
    );
    expect(invalid.errors?.[0]?.message).toBe('tools "[1].name" repeats the tool "a".');
  });

  it('charges a tool’s price with or without a budget, and counts a new budget from that spend from its first tool call', async () => {
    await published(() =>
      system.owner.gql(`mutation($id: ID!) { updateMcpServer(id: $id, input: { tools: [{ name: "read_config", costMicros: 400000 }] }) { id } }`, {
        id: serverId,
      }),
    );
    const key = await system.createKey({ name: 'spending agent', mcpAccess: [{ server: 'records', tools: ['read_config'] }] });
    const budget = (limit: string) =>
      published(() =>
        system.owner.gql('mutation($key: ID!, $limit: String!) { createBudget(input: { scopeKind: KEY, scopeId: $key, period: DAY, limit: $limit }) { id } }', {
          key: key.id,
          limit,
        }),
      );
    const { client } = await connect(key.secret);
    const call = () => client.callTool({ name: 'read_config', arguments: {} }).catch((e: unknown) => e as McpError);
    // No budget counts the first call, a roomy one the second: both are the tool's price in their events.
    expect(((await call()) as { content: unknown[] }).content).toHaveLength(1);
    await budget('10.00');
    expect(((await call()) as { content: unknown[] }).content).toHaveLength(1);
    const db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    try {
      const costs = await eventually(
        async () => {
          const { rows } = await db.query<{ cost_micros: string }>(
            `select cost_micros from usage_events where key_id = $1 and endpoint = 'tools/call' order by started_at`,
            [key.id],
          );
          return rows.length === 2 ? rows.map((r) => Number(r.cost_micros)) : undefined;
        },
        10_000,
        'the two paid calls to be stored',
      );
      expect(costs).toEqual([400000, 400000]);
    } finally {
      await db.end();
    }
    // A new budget arrives with the $0.80 already spent today, which this node never counted on it (spend
    // reconciliation is off here): the very next tool call is measured against that spend, not against zero.
    await budget('1.00');
    const reads = tools.log.calls.filter((c) => c.tool === 'read_config').length;
    const refused = await call();
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).message).toContain(
      'A call of the tool "read_config" of MCP server "records" costs 400000 micro-dollars, and a key budget has 200000 of 1000000 left this period.',
    );
    expect(tools.log.calls.filter((c) => c.tool === 'read_config')).toHaveLength(reads);
  });

  it('tests the connection with the stored credential: the tools with their schemas, or why not in one sentence without the secret', async () => {
    const tested = await system.owner.gql<{ testMcpServer: { name: string; inputSchema: unknown }[] }>(
      `mutation($id: ID!) { testMcpServer(id: $id) { name description inputSchema } }`,
      { id: serverId },
    );
    expect(tested.errors).toBeUndefined();
    expect(tested.data!.testMcpServer.map((t) => t.name)).toEqual(['list_records', 'delete_records', 'slow_count', 'read_config']);
    expect(tested.data!.testMcpServer[0]!.inputSchema).toMatchObject({ required: ['table'] });
    expect(tools.log.requests.at(-1)?.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);

    // A server that is gone: nothing listens on its port any more.
    const gone = await startToolServer();
    await gone.close();
    const created = await system.owner.gql<{ createMcpServer: { id: string } }>(
      `mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`,
      {
        input: { name: 'gone', url: gone.url, credential: { bearerToken: UPSTREAM_TOKEN } },
      },
    );
    const failed = await system.owner.gql(`mutation($id: ID!) { testMcpServer(id: $id) { name } }`, { id: created.data!.createMcpServer.id });
    expect(failed.errors?.[0]).toMatchObject({
      message: 'Keyward could not list the tools of MCP server "gone": connection failed (ECONNREFUSED).',
      extensions: { code: 'UPSTREAM_UNREACHABLE' },
    });
    expect(JSON.stringify(failed)).not.toContain(UPSTREAM_TOKEN);
    await system.owner.gql(`mutation($id: ID!) { deleteMcpServer(id: $id) }`, { id: created.data!.createMcpServer.id });
  });

  it('lets every key of a team, or of the whole organization, call the tools granted there', async () => {
    type Grant = { teamId: string | null; teamName: string | null; access: { server: string; tools: string[] }[] };
    const grant = (teamId: string | null, access: { server: string; tools: string[] }[]) =>
      published(() =>
        system.owner.gql<{ setMcpAccess: Grant }>(
          `mutation($teamId: ID, $access: [McpAccessInput!]!) { setMcpAccess(teamId: $teamId, access: $access) { teamId teamName access { server tools } } }`,
          { teamId, access },
        ),
      );
    const toolsOf = async (secret: string) => (await (await connect(secret)).client.listTools()).tools.map((t) => t.name).sort();
    const team = await system.owner.gql<{ createTeam: { id: string } }>(`mutation { createTeam(input: { name: "data" }) { id } }`);
    const teamId = team.data!.createTeam.id;
    const member = await system.createKey({ name: 'team agent', teamId });
    const outsider = await system.createKey({ name: 'other agent' });
    await expect(connect(member.secret)).rejects.toThrow(/This Keyward key may not use MCP server/);

    expect((await grant(teamId, [{ server: 'records', tools: ['list_records'] }])).setMcpAccess).toEqual({
      teamId,
      teamName: 'data',
      access: [{ server: 'records', tools: ['list_records'] }],
    });
    expect(await toolsOf(member.secret)).toEqual(['list_records']);
    await expect(connect(outsider.secret)).rejects.toThrow(/may not use MCP server/);
    const { client } = await connect(member.secret);
    const refused = await client.callTool({ name: 'delete_records', arguments: { table: 'customers' } }).catch((e: unknown) => e);
    expect((refused as McpError).message).toContain('This Keyward key may not call the tool "delete_records"');

    await grant(null, [{ server: 'records', tools: ['read_config'] }]);
    expect(await toolsOf(outsider.secret)).toEqual(['read_config']);
    expect(await toolsOf(member.secret)).toEqual(['list_records', 'read_config']);
    // The key's own access adds to the organization's.
    expect(await toolsOf(agentKey.secret)).toEqual(['list_records', 'read_config', 'slow_count']);

    const listed = await system.owner.gql<{ mcpAccessGrants: Grant[] }>(`{ mcpAccessGrants { teamId teamName access { server tools } } }`);
    expect(listed.data!.mcpAccessGrants).toEqual([
      { teamId: null, teamName: null, access: [{ server: 'records', tools: ['read_config'] }] },
      { teamId, teamName: 'data', access: [{ server: 'records', tools: ['list_records'] }] },
    ]);
    const deletion = await system.owner.gql(`mutation($id: ID!) { deleteMcpServer(id: $id) }`, { id: serverId });
    expect(deletion.errors?.[0]?.message).toBe('Cannot delete MCP server "records": the organization, team "data" may call it; change that MCP access first.');
    const unknown = await system.owner.gql(`mutation { setMcpAccess(access: [{ server: "nope", tools: ["*"] }]) { teamId } }`);
    expect(unknown.errors?.[0]?.message).toBe('mcpAccess names no MCP server of this organization: nope.');

    await grant(null, []);
    await expect(connect(outsider.secret)).rejects.toThrow(/may not use MCP server/);
  });
});

describe('registering MCP servers', () => {
  let system: TestSystem;
  const create = (input: Record<string, unknown>) =>
    system.owner.gql<{ createMcpServer: { id: string } }>(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id name } }`, { input });
  const errorOf = (res: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) => res.errors?.[0];

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
  });
  afterAll(async () => {
    await system?.close();
  });

  it('refuses private addresses, bad names, ambiguous credentials and a second server of the same name', async () => {
    const token = { bearerToken: 'tok-123456789' };
    expect(errorOf(await create({ name: 'internal', url: 'https://10.1.2.3/mcp', credential: token }))).toMatchObject({
      message: expect.stringContaining('The url was refused: the URL host 10.1.2.3 is a private'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(errorOf(await create({ name: 'metadata', url: 'http://169.254.169.254/mcp', credential: token }))?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(errorOf(await create({ name: 'Bad_Name', url: 'https://mcp.example.com/mcp', credential: token }))?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(
      errorOf(
        await create({
          name: 'both',
          url: 'https://mcp.example.com/mcp',
          credential: { bearerToken: 'tok-123456789', apiKeyHeader: { name: 'X-API-Key', value: 'key-123456789' } },
        }),
      ),
    ).toMatchObject({ message: 'The credential needs exactly one of bearerToken, apiKeyHeader or oauthClientCredentials.' });
    expect(
      errorOf(
        await create({ name: 'hdr', url: 'https://mcp.example.com/mcp', credential: { apiKeyHeader: { name: 'Mcp-Session-Id', value: 'key-123456789' } } }),
      ),
    ).toMatchObject({ message: expect.stringContaining('The API key header name may not be Mcp-Session-Id') });
    expect(
      errorOf(
        await create({
          name: 'oauth',
          url: 'https://mcp.example.com/mcp',
          credential: { oauthClientCredentials: { tokenUrl: 'https://192.168.0.9/token', clientId: 'keyward', clientSecret: 'secret-123456789' } },
        }),
      ),
    ).toMatchObject({ message: expect.stringContaining('The tokenUrl was refused') });

    expect(errorOf(await create({ name: 'tickets', url: 'https://mcp.example.com/mcp', credential: token }))).toBeUndefined();
    expect(errorOf(await create({ name: 'tickets', url: 'https://other.example.com/mcp', credential: token }))).toMatchObject({
      message: 'An MCP server named "tickets" already exists in this organization.',
      extensions: { code: 'CONFLICT' },
    });
  });

  it('gives keys access by server name, and refuses deleting a server a key may call', async () => {
    const created = await create({
      name: 'files',
      url: 'https://files.example.com/mcp',
      credential: {
        oauthClientCredentials: { tokenUrl: 'https://auth.example.com/token', clientId: 'keyward', clientSecret: 'secret-123456789', scope: 'files' },
      },
    });
    const id = created.data!.createMcpServer.id;
    const unknown = await system.owner.gql(
      `mutation { createKey(input: { name: "k", ownerLabel: "a", allowedModels: [], mcpAccess: [{ server: "nope", tools: ["*"] }] }) { secret } }`,
    );
    expect(errorOf(unknown)).toMatchObject({ message: 'mcpAccess names no MCP server of this organization: nope.' });
    const empty = await system.owner.gql(
      `mutation { createKey(input: { name: "k", ownerLabel: "a", allowedModels: [], mcpAccess: [{ server: "files", tools: [] }] }) { secret } }`,
    );
    expect(errorOf(empty)?.message).toContain('must name at least one tool');

    const key = await system.createKey({ name: 'file agent', mcpAccess: [{ server: 'files', tools: ['*'] }] });
    const keys = await system.owner.gql<{ key: { mcpAccess: unknown } }>(`query($id: ID!) { key(id: $id) { mcpAccess { server tools } } }`, { id: key.id });
    expect(keys.data!.key.mcpAccess).toEqual([{ server: 'files', tools: ['*'] }]);

    const refused = await system.owner.gql(`mutation($id: ID!) { deleteMcpServer(id: $id) }`, { id });
    expect(errorOf(refused)).toMatchObject({
      message: expect.stringContaining('Cannot delete MCP server "files": key "file agent"'),
      extensions: { code: 'CONFLICT' },
    });
    const listed = await system.owner.gql<{ mcpServers: { name: string; tokenUrl: string; clientId: string }[] }>('{ mcpServers { name tokenUrl clientId } }');
    expect(listed.data!.mcpServers.find((s) => s.name === 'files')).toEqual({ name: 'files', tokenUrl: 'https://auth.example.com/token', clientId: 'keyward' });
    expect(JSON.stringify(listed)).not.toContain('secret-123456789');

    await system.owner.gql(`mutation($id: ID!) { updateKey(id: $id, input: { mcpAccess: [] }) { id } }`, { id: key.id });
    expect(errorOf(await system.owner.gql(`mutation($id: ID!) { deleteMcpServer(id: $id) }`, { id }))).toBeUndefined();
  });
});
