/**
 * The session each HDP token id belongs to, shared by every node through Redis, so a token id
 * replayed in another session is refused on any node, not only on the one that saw it first.
 * Each node asks once per token id and session (`SET … NX GET`, expiring with the token); while
 * Redis is away each node keeps its own check (logged once per outage).
 */
import { BoundedMap, refuse, type HdpToken, type ProvenanceRefusal } from '@keyward/shared';
import { createLimiterRedis, type RedisClient } from '../limits/index.js';
import { FailureStreak } from '../observability/failure-streak.js';
import type { Logger } from '../observability/logger.js';

const PREFIX = 'keyward:hdp-session:';
const MAX_REMEMBERED = 10_000;

export class SharedTokenSessions {
  private readonly redis: RedisClient;
  private readonly outage: FailureStreak;
  /** Token ids this node already claimed for their session, with when the claim lapses. */
  private readonly claimed = new BoundedMap<string, number>(MAX_REMEMBERED);

  constructor(redisUrl: string, logger: Logger) {
    this.outage = new FailureStreak(logger.child({ component: 'hdp-sessions' }), {
      failing: 'HDP token sessions cannot be shared (Redis unreachable); each node checks its own',
      recovered: 'HDP token sessions shared again',
    });
    this.redis = createLimiterRedis(redisUrl);
    this.redis.on('ready', () => this.outage.succeeded());
  }

  /** A refusal when another node saw `token`'s id first in another session; undefined otherwise. */
  async check(orgId: string, token: HdpToken, now: number): Promise<ProvenanceRefusal | undefined> {
    // The organization is a hash tag, as for the limiter's keys, so a cluster spreads organizations.
    const key = `${PREFIX}{${orgId}}:${token.tokenId}`;
    const mine = `${key}\n${token.sessionId}`;
    if ((this.claimed.get(mine) ?? 0) >= now) return undefined;
    let owner: string | null;
    try {
      const previous = await this.redis.set(key, token.sessionId, 'PXAT', Math.max(token.expiresAt, now + 1), 'NX', 'GET');
      owner = previous ?? token.sessionId;
    } catch (error) {
      this.outage.failed((error as Error).message);
      return undefined;
    }
    if (owner !== token.sessionId) return refuse('session_mismatch', 'this HDP token id was already used in another session');
    this.claimed.remember(mine, token.expiresAt);
    return undefined;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
