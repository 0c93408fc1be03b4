/** Helpers for tests and benchmarks that need real companions of a data-plane node. */
export { startRedisCluster, startRedisSentinel, startRedisServer, type RedisServer } from '../limits/testing/redis-server.js';
export { ConfigSync, type ConfigSyncOptions } from '../config/sync.js';
export { PolicySets } from '../policy/policy-sets.js';
