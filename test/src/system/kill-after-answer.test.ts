import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPlaneProcess, type PlaneProcess } from '../support/plane-process.js';
import { eventually, freePort, startTestSystem, type TestSystem } from '../support/system.js';

/**
 * A node killed with SIGKILL the moment an agent has its whole answer loses no record of it: the
 * answer's end goes out only once the request's event is in the spool file, so the node started
 * again on its state directory ships it. The node is a process of its own (`npm run build`
 * first); its spool waits a second between fsyncs, which keeps events of back-to-back requests
 * in memory for up to that long unless the answer waits for them.
 */
describe('a node killed right after an answer', () => {
  let system: TestSystem;
  let db: pg.Client;
  let dir: string;
  let node: PlaneProcess | null = null;

  beforeAll(async () => {
    system = await startTestSystem(inject('pgAdminUrl'));
    await system.addMockCredential();
    db = new pg.Client({ connectionString: system.cp.databaseUrl });
    await db.connect();
    dir = await mkdtemp(join(tmpdir(), 'keyward-killed-node-'));
  });

  afterAll(async () => {
    await node?.stop();
    await db?.end();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ships the event of every answered request after a restart, the last one included', async () => {
    const port = await freePort();
    const env = {
      KEYWARD_CONTROL_PLANE_URL: system.cp.url,
      KEYWARD_NODE_TOKEN: system.secrets.nodeToken,
      KEYWARD_KMS: system.secrets.kmsSpec,
      KEYWARD_KEY_PEPPER: system.secrets.pepper,
      KEYWARD_HASH_SALT: system.secrets.hashSalt,
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_DP_PORT: String(port),
      KEYWARD_DP_HOST: '127.0.0.1',
      KEYWARD_NODE_ID: 'killed-node',
      KEYWARD_DP_STATE_DIR: join(dir, 'data-plane'),
      KEYWARD_SPOOL_SYNC_MS: '1000',
      KEYWARD_EVENT_FLUSH_MS: '20',
      KEYWARD_EVENT_RETRY_MAX_MS: '200',
      LOG_LEVEL: 'info',
    };
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
  }, 120_000);
});
