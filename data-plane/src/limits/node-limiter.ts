import { FailureStreak } from '../observability/failure-streak.js';
import type { Logger } from '../observability/logger.js';
import { MemoryLimiter } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';
import { ResilientLimiter } from './resilient-limiter.js';
import type { Limiter } from './types.js';

/**
 * The limiter a node uses by default: with `redisUrl`, counters shared by every node in Redis,
 * behind a `ResilientLimiter` that applies each organization's fail mode while Redis is away;
 * without it, this node's own memory (right for a single node; several nodes would each allow
 * the full limit).
 */
export function createNodeLimiter(redisUrl: string | null, logger: Logger): Limiter {
  if (redisUrl === null) {
    logger.info('budget and rate-limit counters are kept in memory (set REDIS_URL to share them between nodes)');
    return new MemoryLimiter();
  }
  const log = logger.child({ component: 'limiter' });
  // Logged once per outage: during one, every request would otherwise log the same line.
  const outage = new FailureStreak(log, {
    failing: 'shared limit counters unreachable; applying each organization’s fail mode',
    recovered: 'shared limit counters reachable again',
  });
  const shared = new RedisLimiter({ redis: redisUrl });
  shared.redis.on('ready', () => outage.succeeded());
  return new ResilientLimiter({
    shared,
    onError: (error) => outage.failed((error as Error).message),
    onCrossed: (crossed) => log.info({ crossed: crossed.length }, 'budget thresholds crossed by settlements replayed after an outage'),
  });
}
