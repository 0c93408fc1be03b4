import type { Logger } from '../observability/logger.js';
import { MemoryResponseStore } from './memory-store.js';
import { RedisResponseStore } from './redis-store.js';

/**
 * Where cached answers live: this node's memory, or Redis shared by every node. A store never
 * fails a request: an unreachable store answers a miss and drops a write.
 */
export interface ResponseStore {
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** The node's store of cached answers: Redis when `REDIS_URL` is set (shared by every node), else memory bounded by `maxBytes`. */
export function createResponseStore(redisUrl: string | null, maxBytes: number, logger: Logger): ResponseStore {
  return redisUrl === null ? new MemoryResponseStore(maxBytes) : new RedisResponseStore(redisUrl, logger);
}
