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
  const { startEmbeddedPostgres } = await import('@keyward/control-plane');
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
