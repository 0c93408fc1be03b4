export * from './types.js';
export { rateLimitHeaders } from './headers.js';
export { periodWindow, localMinute } from '@keyward/shared';
export { MemoryLimiter } from './memory-limiter.js';
export { RedisLimiter, createLimiterRedis } from './redis-limiter.js';
export type { RedisClient } from './redis-client.js';
export { ResilientLimiter, type OverflowStats } from './resilient-limiter.js';
export { createNodeLimiter } from './node-limiter.js';
export { appliesTo } from './plan.js';
