/**
 * The control-plane process: the API on the PostgreSQL named by DATABASE_URL (`npm start` runs
 * an embedded one as a process of its own and passes its URL). SIGINT/SIGTERM stop the server.
 * Every start failure is one line naming its cause.
 */
import { ConfigError, loadControlPlaneConfig } from './config.js';
import { startControlPlane } from './server.js';

async function main() {
  let config;
  try {
    config = loadControlPlaneConfig(process.env);
    if (!config.databaseUrl) throw new ConfigError('DATABASE_URL must name a PostgreSQL 14+ database (npm start sets it to its embedded PostgreSQL).');
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Keyward control plane cannot start: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const cp = await startControlPlane(config, { databaseUrl: config.databaseUrl });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    cp.services.log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      cp.services.log.error({ deadlineMs: config.drainTimeoutMs }, 'stop deadline passed (KEYWARD_DRAIN_SECONDS); exiting without waiting');
      process.exit(1);
    }, config.drainTimeoutMs);
    force.unref();
    await cp.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Run by `npm start` over an IPC channel: when the start script is gone, so is the reason to run.
  process.on('disconnect', () => void stop('parent exited'));
}

main().catch((error: unknown) => {
  const cause = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Keyward control plane failed to start: ${cause.split('\n')[0] || 'an unknown error'}\n`);
  process.exit(1);
});
