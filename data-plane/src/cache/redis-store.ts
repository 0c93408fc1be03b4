import { createLimiterRedis, type RedisClient } from '../limits/index.js';
import { FailureStreak } from '../observability/failure-streak.js';
import type { Logger } from '../observability/logger.js';
import type { ResponseStore } from './store.js';

const PREFIX = 'keyward:cache:';

/**
 * Cached answers in Redis, shared by every node: `SET … EX ttl`, so Redis forgets them on
 * time. While Redis is unreachable every lookup is a miss and nothing is stored (logged once
 * per outage); requests go to the provider as if the cache were off.
 */
export class RedisResponseStore implements ResponseStore {
  private readonly redis: RedisClient;
  private readonly outage: FailureStreak;

  constructor(url: string, logger: Logger) {
    this.outage = new FailureStreak(logger.child({ component: 'response-cache' }), {
      failing: 'response cache unreachable (Redis); requests go to the provider',
      recovered: 'response cache reachable again',
    });
    this.redis = createLimiterRedis(url);
    this.redis.on('ready', () => this.outage.succeeded());
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await this.redis.getBuffer(PREFIX + key);
    } catch (err) {
      this.failed(err);
      return null;
    }
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(PREFIX + key, value, 'EX', ttlSeconds);
    } catch (err) {
      this.failed(err);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private failed(err: unknown): void {
    this.outage.failed((err as Error).message);
  }
}
