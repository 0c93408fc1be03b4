/**
 * The control-plane process: embedded PostgreSQL when no DATABASE_URL is given, then the API.
 * SIGINT/SIGTERM stop the server first, then the database.
 */
import { join } from 'node:path';
import { ConfigError, loadControlPlaneConfig } from './config.js';
import { startEmbeddedPostgres, type RunningPostgres } from './db/embedded-postgres.js';
import { startControlPlane } from './server.js';

async function main() {
  let config;
  try {
    config = loadControlPlaneConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Keyward control plane cannot start: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  let pg: RunningPostgres | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    pg = await startEmbeddedPostgres({
      dataDir: join(config.stateDir, 'pg'),
      port: Number(process.env.KEYWARD_EMBEDDED_PG_PORT || 54329),
    });
    await pg.ensureDatabase('keyward');
    databaseUrl = pg.urlFor('keyward');
  }
  const cp = await startControlPlane(config, { databaseUrl });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    cp.services.log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 8000);
    force.unref();
    await cp.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`Keyward control plane failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
