/** Helpers for tests that start real control planes (this package's and the end-to-end ones). */
export * from './test-control-plane.js';
export * from './enforcement-fixtures.js';
export * from './approval-fixtures.js';
// People who sign in with a password (browser tests); renamed beside enforcement-fixtures' token-only `addMember`.
export { addMember as addPersonWithPassword, sessionCookieOf, type TestPerson } from './fixtures.js';
export { seedUsageEvents, type EventSeed } from './seed-events.js';
