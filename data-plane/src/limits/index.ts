export * from './types.js';
export { rateLimitHeaders, formatResetDuration } from './headers.js';
export { periodWindow, periodKeyEndBound, localMinute, type PeriodWindow } from '@keyward/shared';
export { MemoryLimiter, type MemoryLimiterOptions } from './memory-limiter.js';
export { RedisLimiter, createLimiterRedis, type RedisLimiterOptions, type SpendEntry } from './redis-limiter.js';
export {
  ResilientLimiter,
  LimiterTimeoutError,
  type ResilientLimiterOptions,
  type SharedLimiter,
  type OverflowStats,
  type OrgOverflow,
} from './resilient-limiter.js';
export { createNodeLimiter } from './node-limiter.js';
export { appliesTo } from './plan.js';
