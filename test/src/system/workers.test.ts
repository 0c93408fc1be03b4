import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BEHAVIOUR_HEADER } from '../mock-provider/index.js';
import { startPlaneProcess, type PlaneProcess } from '../support/plane-process.js';
import { eventually, freePort, startTestSystem, type TestSystem } from '../support/system.js';

const ALLOWED = 4;
const SENT = 12;

/**
 * A data-plane process with `KEYWARD_DP_WORKERS=2` (built, `npm run build` first): connections
 * go to both worker threads, the in-memory rate-limit counters are one set for both, `/metrics`
 * adds both up, and SIGTERM drains every worker, ships their events and exits 0.
 */
describe('a data-plane process with two workers', () => {
  let system: TestSystem;
  let db: pg.Client;
  let dir: string;
  let node: PlaneProcess | null = null;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    dir = await mkdtemp(join(tmpdir(), 'keyward-workers-'));
  });

  afterAll(async () => {
    await node?.stop();
    await db?.end();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves on both threads, admits exactly what one shared rate limit allows, and drains on SIGTERM', async () => {
    // Made before the node starts, so every worker's first config has them.
    const key = await system.createKey();
    const limited = await system.createKey();
    const created = await system.owner.gql<{ createRateLimit: { id: string } }>(
      `mutation($key: ID!) { createRateLimit(input: { name: "four a minute", scopeKind: KEY, scopeId: $key, requestsPerMinute: ${ALLOWED} }) { id } }`,
      { key: limited.id },
    );
    expect(created.errors).toBeUndefined();
    const port = await freePort();
    node = await startPlaneProcess('data-plane', port, {
      KEYWARD_CONTROL_PLANE_URL: system.cp.url,
      KEYWARD_NODE_TOKEN: system.secrets.nodeToken,
      KEYWARD_KMS: system.secrets.kmsSpec,
      KEYWARD_KEY_PEPPER: system.secrets.pepper,
      KEYWARD_HASH_SALT: system.secrets.hashSalt,
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DP_PORT: String(port),
      KEYWARD_DP_HOST: '127.0.0.1',
      KEYWARD_NODE_ID: 'two-worker-node',
      KEYWARD_DP_STATE_DIR: join(dir, 'data-plane'),
      KEYWARD_DP_WORKERS: '2',
      KEYWARD_EVENT_FLUSH_MS: '20',
      KEYWARD_DRAIN_SECONDS: '10',
      LOG_LEVEL: 'info',
    });
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
