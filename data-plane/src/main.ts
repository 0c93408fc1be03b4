/**
 * The data-plane process: configuration from the environment, JSON logs on stdout, graceful
 * drain on SIGTERM/SIGINT (a second signal exits at once) or when the parent that started it
 * over IPC (`npm start`) goes away.
 */
import { ConfigError, loadDataPlaneConfig, type DataPlaneConfig } from './config.js';
import { startDataPlane } from './dataplane.js';
import { createLogger } from './observability/logger.js';
import { stopOnSignals } from './process.js';

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

try {
  const node = await startDataPlane(config, { logger: log });
  stopOnSignals(node, log, { exit: (code) => process.exit(code) });
  // Run by `npm start` over an IPC channel: when the start script is gone, drain and stop as on SIGTERM.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
} catch (err) {
  log.fatal({ reason: (err as Error).message }, 'data plane failed to start');
  process.exit(1);
}
