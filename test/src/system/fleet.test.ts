import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateSecret } from '@keyward/shared';
import { gqlRequest, startReceiver, type Receiver } from '@keyward/control-plane/testing';
import { startRedisServer, type RedisServer } from '@keyward/data-plane/testing';
import { startMockProvider, type MockProvider } from '../mock-provider/index.js';
import { firstOwnerToken, processSystemBase, startPlaneProcess, type PlaneProcess } from '../support/plane-process.js';
import { eventually, freePort } from '../support/system.js';

const HOLD_SHELL = JSON.stringify({
  name: 'Shell needs a human',
  rules: [{ id: 'shell', when: { toolOffered: 'shell*' }, action: { type: 'hold', timeoutSeconds: 120, onTimeout: 'block' } }],
});
const SHELL_TOOL = { type: 'function' as const, function: { name: 'shell_exec', parameters: { type: 'object', properties: {} } } };

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** What a client saw of its requests to one node. */
interface Traffic {
  readonly completed: string[];
  failed: number;
}

/**
 * The fleet of issue 19's first test: two control planes and three data planes, each a process
 * of its own started from the build, on one PostgreSQL and one Redis. Every node is given both
 * control planes; requests flow through all three nodes with the official OpenAI client while
 * one control plane and one data plane are killed with SIGKILL.
 */
describe('a fleet of two control planes and three data planes', () => {
  it('stores every completed request once, enforces a change on every surviving node and delivers an approval after SIGKILLs', async () => {
    const started = Date.now();
    const phases: string[] = [];
    const mark = (phase: string) => phases.push(`${phase} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { databaseUrl, dir, kmsSpec } = await processSystemBase(inject('pgAdminUrl'), 'fleet', cleanups);
    const shared = {
      KEYWARD_KMS: kmsSpec,
      KEYWARD_KEY_PEPPER: randomBytes(32).toString('base64'),
      KEYWARD_HASH_SALT: randomBytes(32).toString('base64'),
      KEYWARD_NODE_TOKEN: generateSecret('node_token'),
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DRAIN_SECONDS: '5',
      LOG_LEVEL: 'info',
    };
    const redis: RedisServer = await startRedisServer();
    cleanups.push(() => redis.stop());
    const mock: MockProvider = await startMockProvider();
    cleanups.push(() => mock.close());
    const receiver: Receiver = await startReceiver();
    cleanups.push(() => receiver.close());

    // Two control planes started together: one migrates the database while the other waits for its lock.
    const controlPlanes = await Promise.all(
      [0, 1].map(async (i) => {
        const port = await freePort();
        const cp = await startPlaneProcess('control-plane', port, {
          ...shared,
          DATABASE_URL: databaseUrl,
          KEYWARD_CP_PORT: String(port),
          KEYWARD_STATE_DIR: join(dir, `cp-${i}`),
        });
        cleanups.push(() => cp.stop());
        return cp;
      }),
    );
    mark('control planes ready');
    const [doomedCp, survivorCp] = controlPlanes as [PlaneProcess, PlaneProcess];

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const { token } = await firstOwnerToken(db, shared.KEYWARD_KEY_PEPPER);
    const gql = async <T>(cp: PlaneProcess, query: string, variables?: Record<string, unknown>): Promise<T> => {
      const res = await gqlRequest<T>(cp.url, query, variables, { token });
      if (!res.data) throw new Error(`${query.slice(0, 40)}… failed: ${JSON.stringify(res.errors)}`);
      return res.data;
    };

    // Everything is set up through the control plane that will be killed.
    await gql(doomedCp, `mutation($input: CreateCredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { provider: 'OPENAI_COMPATIBLE', name: 'mock', apiKey: `sk-mock-${randomBytes(12).toString('hex')}`, baseUrl: `${mock.url}/v1` },
    });
    const createKey = async (name: string) =>
      (
        await gql<{ createKey: { key: { id: string }; secret: string } }>(
          doomedCp,
          `mutation($input: CreateKeyInput!) { createKey(input: $input) { key { id } secret } }`,
          {
            input: { name, ownerLabel: 'fleet', allowedModels: [] },
          },
        )
      ).createKey;
    const steady = await createKey('steady traffic');
    const doomedKey = await createKey('revoked mid-run');
    const policy = await gql<{ createPolicy: { id: string } }>(doomedCp, `mutation($input: CreatePolicyInput!) { createPolicy(input: $input) { id } }`, {
      input: { source: HOLD_SHELL },
    });
    await gql(doomedCp, `mutation($id: ID!) { attachPolicy(id: $id, scope: { kind: ORG }) { id } }`, { id: policy.createPolicy.id });
    await gql(doomedCp, `mutation($u: String!) { createWebhook(input: { url: $u, events: ["approval.requested", "approval.decided"] }) { secret } }`, {
      u: `${receiver.url}/hooks`,
    });

    // Three nodes, each given both control planes (in different orders), sharing Redis.
    const cpList = (first: PlaneProcess, second: PlaneProcess) => `${first.url},${second.url}`;
    const nodeEnv = async (i: number, controlPlaneUrls: string) => {
      const port = await freePort();
      return {
        port,
        env: {
          ...shared,
          KEYWARD_CONTROL_PLANE_URL: controlPlaneUrls,
          KEYWARD_DP_PORT: String(port),
          KEYWARD_DP_HOST: '127.0.0.1',
          KEYWARD_NODE_ID: `fleet-node-${i}`,
          KEYWARD_DP_STATE_DIR: join(dir, `dp-${i}`),
          REDIS_URL: redis.url,
          KEYWARD_EVENT_FLUSH_MS: '20',
          KEYWARD_EVENT_RETRY_MAX_MS: '300',
          KEYWARD_CONFIG_RETRY_MAX_MS: '300',
        },
      };
    };
    const orders = [cpList(doomedCp, survivorCp), cpList(survivorCp, doomedCp), cpList(doomedCp, survivorCp)];
    const nodeSettings = await Promise.all(orders.map((order, i) => nodeEnv(i, order)));
    const nodes = await Promise.all(
      nodeSettings.map(async ({ port, env }) => {
        const node = await startPlaneProcess('data-plane', port, env);
        cleanups.push(() => node.stop());
        return node;
      }),
    );
    mark('data planes ready');
    const [holder, doomedNode, third] = nodes as [PlaneProcess, PlaneProcess, PlaneProcess];
    const client = (node: PlaneProcess, secret: string) => new OpenAI({ apiKey: secret, baseURL: `${node.url}/v1`, maxRetries: 0, timeout: 60_000 });
    const ask = (node: PlaneProcess, secret: string) =>
      client(node, secret)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
        .withResponse();
    for (const node of nodes) {
      await eventually(() => ask(node, steady.secret).then(() => true), 20_000, `the key served by ${node.url}`);
      await eventually(() => ask(node, doomedKey.secret).then(() => true), 20_000, `the second key served by ${node.url}`);
    }

    mark('keys served everywhere');

    // A request held on the first node, registered with the control plane about to die.
    const held = client(holder, steady.secret)
      .chat.completions.create({ model: 'gpt-4o-mini', tools: [SHELL_TOOL], messages: [{ role: 'user', content: 'free some disk space' }] })
      .withResponse();
    const requested = await receiver.waitFor((r) => r.json?.type === 'approval.requested', 20_000);
    const approvalId: string = requested.json.data.approval.id;

    // Steady traffic on every node until told to stop.
    let running = true;
    const traffic: Traffic[] = nodes.map(() => ({ completed: [], failed: 0 }));
    const loops = nodes.map(async (node, i) => {
      while (running) {
        try {
          const { response } = await ask(node, steady.secret);
          traffic[i]!.completed.push(response.headers.get('x-request-id')!);
        } catch {
          traffic[i]!.failed += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    await eventually(() => (traffic.every((t) => t.completed.length >= 5) ? true : undefined), 20_000, 'traffic on every node');

    mark('traffic flowing');
    doomedCp.kill('SIGKILL');
    doomedNode.kill('SIGKILL');
    await Promise.all([doomedCp.exited, doomedNode.exited]);
    const completedBeforeKill = traffic.map((t) => t.completed.length);

    // A config change and an approval, both on the control plane left.
    await gql(survivorCp, `mutation($id: ID!) { revokeKey(id: $id) { id } }`, { id: doomedKey.key.id });
    for (const node of [holder, third]) {
      const status = await eventually(
        () =>
          ask(node, doomedKey.secret).then(
            () => undefined,
            (error: { status?: number }) => (error.status === 401 ? 401 : undefined),
          ),
        20_000,
        `the revoked key refused by ${node.url}`,
      );
      expect(status).toBe(401);
    }
    mark('revocation enforced on the surviving nodes');
    await gql(survivorCp, `mutation($id: ID!) { approveRequest(id: $id) { id } }`, { id: approvalId });
    const { data: answer, response: heldResponse } = await held;
    expect(answer.choices[0]?.message).toBeDefined();
    await receiver.waitFor((r) => r.json?.type === 'approval.decided', 20_000);

    await eventually(
      () => (traffic[0]!.completed.length > completedBeforeKill[0]! + 5 && traffic[2]!.completed.length > completedBeforeKill[2]! + 5 ? true : undefined),
      20_000,
      'traffic after the kills',
    );
    mark('approval delivered, traffic after the kills');
    running = false;
    await Promise.all(loops);

    // The killed node comes back on its state directory and ships what its spool still held.
    const revived = await startPlaneProcess('data-plane', nodeSettings[1]!.port, nodeSettings[1]!.env);
    cleanups.push(() => revived.stop());

    const completed = [...traffic.flatMap((t) => t.completed), heldResponse.headers.get('x-request-id')!];
    expect(new Set(completed).size).toBe(completed.length);
    // A node writes a request's event to its spool just after the answer's last byte (and after
    // settling its reservation), so a SIGKILL in that moment can lose the one request whose answer
    // had just ended on the killed node. Every other completed request must be stored, once.
    const killedNode = new Set(traffic[1]!.completed);
    const storedCopies = async () =>
      (
        await db.query<{ request_id: string; copies: number }>(
          'select request_id, count(*)::int as copies from usage_events where request_id = any($1) group by request_id',
          [completed],
        )
      ).rows;
    const missing = (rows: { request_id: string }[]) => {
      const found = new Set(rows.map((row) => row.request_id));
      return completed.filter((id) => !found.has(id));
    };
    const stored = await eventually(
      async () => {
        const rows = await storedCopies();
        const lost = missing(rows);
        return lost.length === 0 || (lost.length === 1 && killedNode.has(lost[0]!)) ? rows : undefined;
      },
      60_000,
      'an event for every completed request',
    ).catch(async (error: Error) => {
      const lost = missing(await storedCopies());
      throw new Error(
        `${error.message}; missing ${lost.length}: ${lost.map((id) => `${id} (${killedNode.has(id) ? 'killed node' : 'surviving node'})`).join(', ')}`,
      );
    });
    expect(stored.filter((row) => row.copies !== 1)).toEqual([]);
    mark('every event stored');

    // Each background job ran once: one decision recorded, each webhook delivery received once.
    const { rows: decisions } = await db.query(`select type from approval_events where approval_id = $1 and type in ('approved', 'rejected', 'expired')`, [
      approvalId,
    ]);
    expect(decisions).toEqual([{ type: 'approved' }]);
    const deliveries = receiver.requests.map((r) => String(r.headers['x-keyward-delivery']));
    expect(new Set(deliveries).size).toBe(deliveries.length);
    expect(receiver.requests.map((r) => r.json?.type).sort()).toEqual(['approval.decided', 'approval.requested']);

    console.info(
      `fleet: ${completed.length} requests completed (${traffic.map((t) => t.completed.length).join(' / ')} per node), ` +
        `${traffic.reduce((n, t) => n + t.failed, 0)} failed (in flight on or sent to the killed node); ${phases.join(', ')}`,
    );
  }, 180_000);
});
