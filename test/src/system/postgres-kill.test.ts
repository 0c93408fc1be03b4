import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startEmbeddedPostgres, type RunningPostgres } from '@keyward/control-plane';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestSystem, type TestSystem } from '../support/system.js';

/** How long PostgreSQL stays down. */
const OUTAGE_MS = Number(process.env.KEYWARD_PG_OUTAGE_SECONDS ?? '1') * 1000;

/**
 * PostgreSQL SIGKILLed under the control plane while a node's events flow in, then started again
 * on the same data directory. This file runs its own PostgreSQL: the shared test server is not
 * one to kill. It stays down a second inside `npm test`; `npm run fault:pg-outage` keeps it down
 * five minutes (`KEYWARD_PG_OUTAGE_SECONDS`).
 */
describe('PostgreSQL killed with SIGKILL during ingestion', () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let postgres: RunningPostgres;
  let system: TestSystem;

  /** Starts PostgreSQL on the data directory; right after a kill, its orphaned backends may still hold the shared memory for a moment. */
  async function startPostgres(): Promise<RunningPostgres> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startEmbeddedPostgres({ dataDir, port });
      } catch (error) {
        if (attempt === 20) throw error;
        await sleep(250);
      }
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyward-pg-kill-'));
    // The server runs as the postgres user when the tests run as root.
    await chmod(dir, 0o777);
    dataDir = join(dir, 'data');
    port = await freePort();
    postgres = await startPostgres();
    system = await startTestSystem(postgres.adminUrl);
  });

  afterAll(async () => {
    await system?.close();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'keeps the node serving, spools the events, and stores each once after PostgreSQL is back',
    async () => {
      await system.addMockCredential();
      const key = await system.createKey();
      const call = async () => {
        const res = await fetch(`${system.dp.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.arrayBuffer();
        return { status: res.status, requestId: res.headers.get('x-request-id') };
      };
      await eventually(async () => ((await call()).status === 200 ? true : undefined), 20_000, 'the key on the node');

      const served: string[] = [];
      const refused: number[] = [];
      let phase: 'before' | 'down' | 'after' = 'before';
      const servedIn = { before: 0, down: 0, after: 0 };
      let running = true;
      // Four agents calling one after another, without pause.
      const agents = Array.from({ length: 4 }, async () => {
        while (running) {
          const { status, requestId } = await call();
          if (status === 200 && requestId) {
            served.push(requestId);
            servedIn[phase]++;
          } else refused.push(status);
        }
      });

      await eventually(() => (servedIn.before >= 20 ? true : undefined), 20_000, 'traffic before the kill');
      const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      expect(await postgres.exited).toBe('SIGKILL');
      phase = 'down';
      await sleep(OUTAGE_MS);
      // The control plane cannot store what the node sends meanwhile: the node keeps it in its spool.
      const backlogWhileDown = system.dp.node.eventBacklog();
      expect(backlogWhileDown).toBeGreaterThan(0);

      postgres = await startPostgres();
      phase = 'after';
      await eventually(() => (servedIn.after >= 20 ? true : undefined), 20_000, 'traffic after the restart');
      running = false;
      await Promise.all(agents);

      const db = new pg.Client({ connectionString: system.cp.databaseUrl });
      await db.connect();
      try {
        const copies = async () =>
          (
            await db.query<{ stored: number; distinct: number }>(
              'select count(*)::int as stored, count(distinct request_id)::int as distinct from usage_events where request_id = any($1)',
              [served],
            )
          ).rows[0]!;
        const stored = await eventually(
          async () => {
            const counts = await copies();
            return counts.distinct === served.length ? counts : undefined;
          },
          30_000 + OUTAGE_MS / 2,
          'every served request stored',
        ).catch(async (error: Error) => {
          throw new Error(`${error.message}: ${JSON.stringify(await copies())} of ${served.length}`);
        });
        console.info('PostgreSQL kill:', { outageSeconds: OUTAGE_MS / 1000, ...servedIn, refused: refused.length, backlogWhileDown, ...stored });
        expect(stored).toEqual({ stored: served.length, distinct: served.length });
        expect(servedIn.down).toBeGreaterThan(0);
        expect(refused).toEqual([]);
        await eventually(() => (system.dp.node.eventBacklog() === 0 ? true : undefined), 10_000, 'an empty spool');
      } finally {
        await db.end();
      }
    },
    60_000 + 2 * OUTAGE_MS,
  );
});
