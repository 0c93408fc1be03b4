import type { Services } from './services.js';

/** Work done once after the database is ready and before the server listens (e.g. first-start owner). */
export type StartupTask = (services: Services) => Promise<void>;

/** Every start-up task, in order. */
export const STARTUP_TASKS: StartupTask[] = [];
