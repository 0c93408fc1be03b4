/**
 * The data-plane process: configuration from the environment, JSON logs on stdout, graceful
 * drain on SIGTERM/SIGINT (a second signal exits at once) or when the parent that started it
 * over IPC (`npm start`) goes away.
 */
import { ConfigError, loadDataPlaneConfig, type DataPlaneConfig } from './config.js';
import { startDataPlane, type DataPlane } from './dataplane.js';
import { createLogger } from './observability/logger.js';
import { stopOnSignals } from './process.js';
import { startWorkerPool } from './workers/pool.js';

let config: DataPlaneConfig;
try {
  config = loadDataPlaneConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: err.message })}\n`);
  process.exit(78); // EX_CONFIG
}

const log = createLogger(config.logLevel);
process.on('unhandledRejection', (reason) => {
  log.error({ reason: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection');
});

/** One node on this thread, or (`KEYWARD_DP_WORKERS` above 1) one on each worker thread behind an acceptor. */
async function start(): Promise<Pick<DataPlane, 'close'>> {
  if (config.workers === 1) return startDataPlane(config, { logger: log });
  return startWorkerPool(config, log, (reason) => {
    log.fatal({ reason }, 'a data-plane worker failed; stopping');
    process.exit(1);
  });
}

try {
  const node = await start();
  stopOnSignals(node, log, { exit: (code) => process.exit(code) });
  // Run by `npm start` over an IPC channel: when the start script is gone, drain and stop as on SIGTERM.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
} catch (err) {
  log.fatal({ reason: (err as Error).message }, 'data plane failed to start');
  process.exit(1);
}
