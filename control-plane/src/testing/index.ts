/** Helpers for tests that start real control planes (this package's and the end-to-end ones). */
export * from './test-control-plane.js';
export * from './enforcement-fixtures.js';
