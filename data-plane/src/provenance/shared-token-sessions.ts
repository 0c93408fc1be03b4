/**
 * The session each HDP token id belongs to, shared beyond one thread's memory, so a token id
 * replayed in another session is refused wherever it comes: between nodes through Redis
 * (`SET … NX GET`, expiring with the token), between the worker threads of one node through the
 * session table the main thread keeps. Each checker asks once per token id and session; while
 * the shared store is away each checks its own (logged once per outage).
 */
import { BoundedMap, refuse, type HdpToken, type ProvenanceRefusal } from '@keyward/shared';
import { createLimiterRedis } from '../limits/index.js';
import { FailureStreak } from '../observability/failure-streak.js';
import type { Logger } from '../observability/logger.js';
import type { SessionTable } from '../storage/session-table.js';

const PREFIX = 'keyward:hdp-session:';
const MAX_REMEMBERED = 10_000;

/** Where token ids are claimed for their session: the first claim of a key wins, later ones read it. */
type SessionClaims = Pick<SessionTable, 'claim'>;

/** Claims kept in Redis, shared by every node on it. */
function redisSessionClaims(redisUrl: string, onReady: () => void): SessionClaims & { close(): void } {
  const redis = createLimiterRedis(redisUrl);
  redis.on('ready', onReady);
  return {
    claim: async (key, value, expiresAt, now) => (await redis.set(key, value, 'PXAT', Math.max(expiresAt, now + 1), 'NX', 'GET')) ?? value,
    close: () => redis.disconnect(),
  };
}

export class SharedTokenSessions {
  private readonly claims: SessionClaims;
  /** The Redis connection this checker opened (and closes); null for a table someone else owns. */
  private readonly redis: (SessionClaims & { close(): void }) | null;
  private readonly outage: FailureStreak;
  /** Token ids this checker already claimed for their session, with when the claim lapses. */
  private readonly claimed = new BoundedMap<string, number>(MAX_REMEMBERED);

  /** Claims in Redis when given its URL, else in the session table given (the workers' shared one). */
  constructor(store: string | SessionClaims, logger: Logger) {
    const where = typeof store === 'string' ? 'Redis unreachable' : 'the shared session table is closed';
    this.outage = new FailureStreak(logger.child({ component: 'hdp-sessions' }), {
      failing: `HDP token sessions cannot be shared (${where}); each checks its own`,
      recovered: 'HDP token sessions shared again',
    });
    this.redis = typeof store === 'string' ? redisSessionClaims(store, () => this.outage.succeeded()) : null;
    this.claims = this.redis ?? (store as SessionClaims);
  }

  /** A refusal when `token`'s id was seen first in another session; undefined otherwise. */
  async check(orgId: string, token: HdpToken, now: number): Promise<ProvenanceRefusal | undefined> {
    // The organization is a hash tag, as for the limiter's keys, so a cluster spreads organizations.
    const key = `${PREFIX}{${orgId}}:${token.tokenId}`;
    const mine = `${key}\n${token.sessionId}`;
    if ((this.claimed.get(mine) ?? 0) >= now) return undefined;
    let owner: string;
    try {
      owner = await this.claims.claim(key, token.sessionId, token.expiresAt, now);
    } catch (error) {
      this.outage.failed((error as Error).message);
      return undefined;
    }
    if (owner !== token.sessionId) return refuse('session_mismatch', 'this HDP token id was already used in another session');
    this.claimed.remember(mine, token.expiresAt);
    return undefined;
  }

  async close(): Promise<void> {
    this.redis?.close();
  }
}

/**
 * Where a node shares HDP token ids' sessions: in Redis when it has one (every node on it sees
 * them), else in the session table its worker threads share, else nowhere (null): a lone
 * node's provenance step keeps them in its own memory.
 */
export function tokenSessionsFor(
  config: { readonly redisUrl: string | null },
  options: { readonly sessionTable?: SessionTable },
  logger: Logger,
): SharedTokenSessions | null {
  if (config.redisUrl !== null) return new SharedTokenSessions(config.redisUrl, logger);
  if (options.sessionTable) return new SharedTokenSessions(options.sessionTable, logger);
  return null;
}
