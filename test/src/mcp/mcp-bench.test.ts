import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';
import { EMAIL_TOOL_POLICY, timeInterleavedCalls } from './support/call-timing.js';
import { startToolServer, type ToolServer } from './support/tool-server.js';

const TOKEN = 'mcp-bench-upstream-token-0123456789';
/** Calls measured per path (`KEYWARD_MCP_BENCH_CALLS`, 200), after a warm-up of a tenth as many. */
const CALLS = Number(process.env.KEYWARD_MCP_BENCH_CALLS ?? 200);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The short run inside `npm test` (everything in this one process, from source): one `tools/call`
 * by the official SDK's client, straight to the official SDK's server and through Keyward (key,
 * tool access, one tool policy, event), interleaved call by call; prints p50 and p99 side by side.
 * `npm run bench:mcp` (`test/bench/mcp-overhead.ts`) measures the same with every party its own process.
 */
describe('MCP tools/call latency, direct and through Keyward', () => {
  let system: TestSystem;
  let tools: ToolServer;
  let direct: Client;
  let proxied: Client;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    tools = await startToolServer();
    const server = await system.owner.gql(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`, {
      input: { name: 'records', url: tools.url, credential: { bearerToken: TOKEN } },
    });
    expect(server.errors).toBeUndefined();
    const key = await system.createKey({ mcpAccess: [{ server: 'records', tools: ['list_records'] }] });
    const policy = await system.owner.gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: JSON.stringify(EMAIL_TOOL_POLICY) },
    });
    const before = system.dp.node.readiness().version ?? 0;
    await system.owner.gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.data!.createPolicy.id });
    await eventually(() => ((system.dp.node.readiness().version ?? 0) > before ? true : undefined), 15_000, 'the policy to reach the node');
    const connect = async (url: string, secret: string) => {
      const client = new Client({ name: 'bench-agent', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${secret}` } } }));
      return client;
    };
    direct = await connect(tools.url, TOKEN);
    proxied = await connect(`${system.dp.url}/mcp/records`, key.secret);
  });

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
    await tools?.close();
    await system?.close();
  });

  it('measures a tools/call straight to the server and through Keyward with one tool policy, in one run', { timeout: 600_000 }, async () => {
    const times = await timeInterleavedCalls({ direct, keyward: proxied }, CALLS);
    const row = (name: string, samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return { path: name, calls: sorted.length, p50Ms: +percentile(sorted, 50).toFixed(3), p99Ms: +percentile(sorted, 99).toFixed(3) };
    };
    const rows = [row('direct', times.direct), row('through Keyward', times.keyward)];
    const added = { p50Ms: +(rows[1]!.p50Ms - rows[0]!.p50Ms).toFixed(3), p99Ms: +(rows[1]!.p99Ms - rows[0]!.p99Ms).toFixed(3) };
    console.table(rows);
    console.log(`added by Keyward: p50 ${added.p50Ms} ms, p99 ${added.p99Ms} ms (${CALLS} calls each, interleaved)`);
    expect(rows.every((r) => r.calls === CALLS)).toBe(true);
    // The target is under 1 ms added at the median (README "MCP servers"); the default bound only catches a
    // pathological regression on a shared, loaded machine. Set KEYWARD_MCP_BENCH_MAX_ADDED_MS=1 to hold the target.
    expect(added.p50Ms).toBeLessThan(Number(process.env.KEYWARD_MCP_BENCH_MAX_ADDED_MS ?? 50));
  });
});
