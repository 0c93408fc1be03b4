import { loadPublishedConfig } from './config-publish/publish.js';
import { registerBootstrapNodeToken } from './nodes/bootstrap-node-token.js';
import { createFirstOwner } from './sessions/first-start.js';
import { pruneSignInState } from './sessions/prune.js';
import type { Services } from './services.js';

/** Work done once after the database is ready and before the server listens (e.g. first-start owner). */
export type StartupTask = (services: Services) => Promise<void>;

/** Every start-up task, in order. */
export const STARTUP_TASKS: StartupTask[] = [
  (services) => createFirstOwner(services),
  pruneSignInState,
  registerBootstrapNodeToken,
  // After the first owner exists, so a brand-new organization is published before nodes connect.
  loadPublishedConfig,
];
