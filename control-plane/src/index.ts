export { loadControlPlaneConfig, ConfigError, type ControlPlaneConfig } from './config.js';
export { startControlPlane, type RunningControlPlane, type StartOptions } from './server.js';
export { startEmbeddedPostgres, freePort, portIsFree, type RunningPostgres } from './db/embedded-postgres.js';
