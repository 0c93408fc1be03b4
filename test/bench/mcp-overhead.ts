/**
 * What Keyward adds to an MCP `tools/call`: `npm run bench:mcp`. Every party is its own process,
 * as in production: the control plane (embedded PostgreSQL), the data-plane node as built
 * (`data-plane/dist/main.js`), the MCP server (`servers/mcp-tool-server.ts`, the official SDK's
 * server) and this process as the agent (the official SDK's client). One key may call one tool
 * and one `tool_call` policy (scan the arguments for e-mail addresses) applies to every call;
 * each call is an event the node ships to the control plane. Calls straight to the server and
 * through Keyward alternate call by call, so both see the same machine load. Prints p50 and p99
 * of each path, what Keyward adds, the node's CPU milliseconds per call (from `/proc`) and the
 * load average.
 *
 *   node test/dist/bench/mcp-overhead.js [--calls 2000] [--pg-admin-url URL] [--cpu-prof] [--baseline DIR]
 *
 * `--cpu-prof` writes the node's CPU profile to `bench-results/profiles/mcp-data-plane`.
 * `--baseline DIR` runs a second node from another build (a copy of an earlier `data-plane/dist`
 * inside `data-plane/`, e.g. `data-plane/before/dist`, which git ignores) in the same
 * interleaving: before and after a change, measured under the same load.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { gqlRequest } from '@keyward/control-plane/testing';
import { EMAIL_TOOL_POLICY, timeInterleavedCalls } from '../src/mcp/support/call-timing.js';
import { startChild, stopAllChildren } from './lib/children.js';
import { cpuSeconds } from './lib/proc.js';
import { summarize } from './lib/stats.js';
import { layout, planeSecrets, startBenchControlPlane, startFastMock, startKeyward } from './lib/targets.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    'pg-admin-url': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});
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
    // Configured before the nodes start: their first snapshot carries the server, the key and the policy.
    const profileDir = join(l.root, 'bench-results', 'profiles', 'mcp-data-plane');
    const keyward = await startKeyward(l, null, secrets, cp, { nodeFlags: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
    const baseline = values.baseline ? await startKeyward(l, null, secrets, cp, { build: { dist: resolve(values.baseline), name: 'baseline' } }) : null;

    const nodes = [
      { name: 'keyward', pid: keyward.child.pid, origin: keyward.target.endpoint.origin, label: 'through Keyward (key, tool access, one tool policy, event)' },
      ...(baseline
        ? [{ name: 'baseline', pid: baseline.child.pid, origin: baseline.target.endpoint.origin, label: `through Keyward, ${values.baseline}` }]
        : []),
    ];
    const clients: Record<string, Client> = { direct: await connect(toolsUrl, UPSTREAM_TOKEN) };
    for (const node of nodes) clients[node.name] = await connect(`${node.origin}/mcp/records`, key.createKey.secret);
    const loadBefore = loadavg()[0]!;
    const cpuBefore = nodes.map((node) => cpuSeconds(node.pid));
    const times = await timeInterleavedCalls(clients, calls);
    // Every node served the warm-up too: a tenth as many calls again.
    const cpuMsPerCall = nodes.map((node, i) => ((cpuSeconds(node.pid) - cpuBefore[i]!) * 1000) / (calls + Math.ceil(calls / 10)));
    const loadAfter = loadavg()[0]!;
    for (const client of Object.values(clients)) await client.close();
    const d = summarize(times.direct!);
    const ms = (v: number) => v.toFixed(2);
    console.log(`\n| tools/call (${calls.toLocaleString('en')} each, interleaved) | p50 ms | p99 ms | added p50 ms | added p99 ms | node CPU ms per call |`);
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(`| straight to the MCP server | ${ms(d.p50)} | ${ms(d.p99)} | | | |`);
    nodes.forEach((node, i) => {
      const k = summarize(times[node.name]!);
      console.log(`| ${node.label} | ${ms(k.p50)} | ${ms(k.p99)} | **${ms(k.p50 - d.p50)}** | ${ms(k.p99 - d.p99)} | ${cpuMsPerCall[i]!.toFixed(3)} |`);
    });
    console.log(`\nload average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
    if (values['cpu-prof']) console.log(`CPU profile of the node: ${profileDir} (written when it stops)`);
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
