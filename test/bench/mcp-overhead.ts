/**
 * What Keyward adds to an MCP `tools/call`: `npm run bench:mcp`. Every party is its own process,
 * as in production: the control plane (embedded PostgreSQL), the data-plane node as built
 * (`data-plane/dist/main.js`), the MCP server (`servers/mcp-tool-server.ts`, the official SDK's
 * server) and this process as the agent (the official SDK's client). One key may call one tool
 * and one `tool_call` policy (scan the arguments for e-mail addresses) applies to every call;
 * each call is an event the node ships to the control plane. Calls straight to the server and
 * through Keyward alternate call by call, so both see the same machine load. Prints p50 and p99
 * of each path and what Keyward adds.
 *
 *   node test/dist/bench/mcp-overhead.js [--calls 2000] [--pg-admin-url URL]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { gqlRequest } from '@keyward/control-plane/testing';
import { EMAIL_TOOL_POLICY, timeInterleavedCalls } from '../src/mcp/support/call-timing.js';
import { startChild, stopAllChildren } from './lib/children.js';
import { summarize } from './lib/stats.js';
import { layout, planeSecrets, startBenchControlPlane, startFastMock, startKeyward } from './lib/targets.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, 'pg-admin-url': { type: 'string' } } });
const calls = Number(values.calls);

/** The upstream credential Keyward holds for the server (the server accepts any bearer). */
const UPSTREAM_TOKEN = 'mcp-bench-upstream-token-0123456789';

async function connect(url: string, secret: string): Promise<Client> {
  const client = new Client({ name: 'bench-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${secret}` } } }));
  return client;
}

async function main() {
  const workDir = await mkdtemp(join(tmpdir(), 'keyward-bench-mcp-'));
  const l = layout(workDir);
  try {
    // The embedded PostgreSQL runs as its own user when this runs as root: it must reach its directory.
    await chmod(workDir, 0o777);
    const secrets = planeSecrets(l);
    const mock = await startFastMock(l, null, { chunks: 1, intervalMs: 1 });
    const tools = await startChild({
      name: 'MCP server',
      script: join(l.benchDist, 'servers', 'mcp-tool-server.js'),
      cores: null,
      logFile: join(workDir, 'mcp-tool-server.log'),
      waitForHello: true,
      startTimeoutMs: 30_000,
    });
    const toolsUrl = tools.hello!.url as string;
    const cp = await startBenchControlPlane(l, null, secrets, mock.hello!.url as string, values['pg-admin-url'] ?? null);
    const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const res = await gqlRequest<T>(cp.hello.url, query, variables, { token: cp.hello.ownerToken });
      if (!res.data || res.errors) throw new Error(`GraphQL failed: ${JSON.stringify(res.errors)}`);
      return res.data;
    };
    await gql(`mutation($input: CreateMcpServerInput!) { createMcpServer(input: $input) { id } }`, {
      input: { name: 'records', url: toolsUrl, credential: { bearerToken: UPSTREAM_TOKEN } },
    });
    const key = await gql<{ createKey: { secret: string } }>(`mutation($input: CreateKeyInput!) { createKey(input: $input) { secret } }`, {
      input: { name: 'mcp bench', ownerLabel: 'bench-agent', allowedModels: [], mcpAccess: [{ server: 'records', tools: ['list_records'] }] },
    });
    const policy = await gql<{ createPolicy: { id: string } }>(`mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: JSON.stringify(EMAIL_TOOL_POLICY) },
    });
    await gql(`mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.createPolicy.id });
    // Configured before the node starts: its first snapshot carries the server, the key and the policy.
    const keyward = await startKeyward(l, null, secrets, cp);

    const direct = await connect(toolsUrl, UPSTREAM_TOKEN);
    const proxied = await connect(`${keyward.target.endpoint.origin}/mcp/records`, key.createKey.secret);
    const times = await timeInterleavedCalls(direct, proxied, calls);
    await direct.close();
    await proxied.close();
    const [d, k] = [summarize(times.direct), summarize(times.keyward)];
    const ms = (v: number) => v.toFixed(2);
    console.log(`\n| tools/call (${calls.toLocaleString('en')} each, interleaved) | p50 ms | p99 ms |\n| --- | --- | --- |`);
    console.log(`| straight to the MCP server | ${ms(d.p50)} | ${ms(d.p99)} |`);
    console.log(`| through Keyward (key, tool access, one tool policy, event) | ${ms(k.p50)} | ${ms(k.p99)} |`);
    console.log(`| **added by Keyward** | **${ms(k.p50 - d.p50)}** | **${ms(k.p99 - d.p99)}** |`);
  } finally {
    await stopAllChildren();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch(async (error: unknown) => {
  console.error(`mcp bench failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAllChildren();
  process.exit(1);
});
