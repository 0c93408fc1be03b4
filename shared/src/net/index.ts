export * from './classify.js';
export * from './errors.js';
export * from './check-base-url.js';
export * from './guarded-lookup.js';
export * from './guarded-agent.js';
export { parseIPv4, parseIPv6 } from './ip.js';
export * from './masked-url.js';
