import { FailureStreak } from '../observability/failure-streak.js';
import type { Logger } from '../observability/logger.js';
import { createLimiterRedis, type RedisClient } from '../limits/index.js';
import type { TargetHealthBoard } from './target-health.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** The channel nodes announce circuit changes on. */
const CHANNEL = 'keyward:circuits';

interface CircuitMessage {
  readonly node: string;
  readonly id: string;
  /** Epoch milliseconds the circuit stays open until; 0 when it closed. */
  readonly openUntil: number;
}

/** A running share of circuit states; `close` disconnects. */
export interface SharedCircuits {
  close(): Promise<void>;
}

/**
 * Shares circuit breaker states between nodes through Redis: a node that opens or closes a
 * target's circuit publishes it, and every other node applies it, so one node's failures spare
 * the others the same timeouts. Decisions stay local (no round trip on the request path); while
 * Redis is away each node keeps deciding on its own failures, logged once per outage.
 */
export function shareCircuits(board: TargetHealthBoard, redisUrl: string, nodeId: string, logger: Logger): SharedCircuits {
  const log = logger.child({ component: 'circuits' });
  const publisher: RedisClient = createLimiterRedis(redisUrl);
  const subscriber: RedisClient = createLimiterRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
  const outage = new FailureStreak(log, {
    failing: 'circuit states cannot be shared (Redis unreachable); each node decides on its own failures',
    recovered: 'circuit states shared again',
  });
  const failed = (error: unknown) => outage.failed((error as Error).message);
  publisher.on('ready', () => outage.succeeded());
  const publish = (id: string, openUntil: number) => {
    const message: CircuitMessage = { node: nodeId, id, openUntil };
    publisher.publish(CHANNEL, JSON.stringify(message)).catch(failed);
  };
  board.listen({ onOpen: publish, onClose: (id) => publish(id, 0) });
  subscriber.subscribe(CHANNEL).catch(failed);
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      const message = JSON.parse(text) as CircuitMessage;
      if (message.node === nodeId || typeof message.id !== 'string' || typeof message.openUntil !== 'number') return;
      board.applyRemote(message.id, message.openUntil, fleetNow());
    } catch {
      log.warn('ignored a malformed circuit message');
    }
  });
  return {
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
