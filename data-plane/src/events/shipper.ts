import { controlPlaneErrorMessage, type ControlPlaneClient } from '../control-plane/client.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../config/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { EventSpool, SpoolBatch } from './spool.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Where and how an `EventShipper` sends batches. */
export interface ShipperOptions {
  readonly spool: EventSpool;
  readonly client: ControlPlaneClient;
  /** `POST` target for `EventBatch`es: a path of the control plane (`/v1/node/events`) or an absolute URL. */
  readonly target: string;
  readonly nodeId: string;
  readonly batchSize: number;
  /** How long the first event of a batch waits for company before the batch goes. */
  readonly flushIntervalMs: number;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  readonly requestTimeoutMs?: number;
  /** Reports each acknowledged batch. */
  readonly onAcknowledged?: (ack: { accepted: number; duplicates: number; sent: number }) => void;
  readonly onDeadLettered?: (count: number) => void;
}

type Outcome = 'acknowledged' | 'invalid' | 'too_large' | 'unauthorized' | 'retry';

/**
 * Ships spooled events to the control plane in batches: when `batchSize` events wait, or
 * `flushIntervalMs` after the first one arrived. A batch leaves the spool only after a 2xx
 * (sent once committed). A 400 sets the batch aside in the dead-letter file, logged once;
 * 401/403 and server or network failures keep the events and retry with backoff.
 */
export class EventShipper {
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inBackoff = false;
  private failures = 0;
  private authWarned = false;
  private limit: number;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: ShipperOptions) {
    this.limit = options.batchSize;
    this.log = options.logger.child({ component: 'event-shipper' });
  }

  /** Tells the shipper new events are durable in the spool. */
  notify(): void {
    if (this.stopped || this.running || this.inBackoff) return;
    if (this.options.spool.backlog >= this.options.batchSize) this.start(false);
    else if (!this.timer) this.timer = setTimeout(() => this.start(true), this.options.flushIntervalMs);
  }

  /**
   * Ships until the spool is empty or `timeoutMs` passed, retrying failures at a short pace
   * instead of the backoff (used when shutting down). Resolves true when everything shipped.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = fleetNow() + timeoutMs;
    this.clearTimer();
    this.inBackoff = false;
    for (;;) {
      if (this.running) await this.running;
      else {
        this.running = this.ship(true);
        await this.running;
      }
      this.clearTimer();
      this.inBackoff = false;
      const remaining = until - fleetNow();
      if (this.options.spool.backlog === 0) return true;
      if (remaining <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, remaining)));
    }
  }

  /** Stops shipping; spooled events stay for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.running;
  }

  private start(partial: boolean): void {
    this.clearTimer();
    if (this.running || this.stopped) return;
    this.running = this.ship(partial);
  }

  /** Ships full batches, and with `partial` the last incomplete one too (its wait is over). */
  private async ship(partial: boolean): Promise<void> {
    try {
      for (;;) {
        if (!partial && this.options.spool.backlog < this.limit) break;
        const batch = await this.options.spool.readBatch(this.limit);
        if (!batch) break;
        if (batch.events.length === 0) {
          await this.options.spool.acknowledge(batch);
          continue;
        }
        const outcome = await this.post(batch);
        if (outcome === 'acknowledged') continue;
        if (outcome === 'too_large' && batch.events.length > 1) {
          this.limit = Math.max(1, Math.floor(batch.events.length / 2));
          continue;
        }
        if (outcome === 'invalid' || outcome === 'too_large') {
          await this.options.spool.deadLetter(batch, 'rejected by the control plane as invalid');
          this.options.onDeadLettered?.(batch.events.length);
          continue;
        }
        this.scheduleRetry();
        return;
      }
    } catch (err) {
      this.log.error({ reason: (err as Error).message }, 'event spool failure; retrying');
      this.scheduleRetry();
      return;
    } finally {
      this.running = null;
    }
    // Events may have become durable while the last read found none.
    if (this.options.spool.backlog > 0) this.notify();
  }

  private async post(batch: SpoolBatch): Promise<Outcome> {
    const { client, target, nodeId } = this.options;
    let status: number;
    let text: string;
    try {
      // The spooled lines are the events' JSON already (`EventBatch` with the node's id).
      const body = `{"type":"events","nodeId":${JSON.stringify(nodeId)},"events":[${batch.events.join(',')}]}`;
      ({ status, text } = await client.post(target, body, this.options.requestTimeoutMs ?? 30_000));
    } catch (err) {
      this.log[this.failures === 0 ? 'warn' : 'debug'](
        { reason: (err as Error).message, failures: this.failures },
        'could not reach the control plane to ship events; retrying with backoff',
      );
      return 'retry';
    }
    if (status >= 200 && status < 300) {
      await this.options.spool.acknowledge(batch);
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'control plane takes events again');
      this.failures = 0;
      this.authWarned = false;
      this.limit = this.options.batchSize;
      const ack = parseAck(text);
      this.options.onAcknowledged?.({ ...ack, sent: batch.events.length });
      this.log.debug({ sent: batch.events.length, ...ack }, 'event batch acknowledged');
      return 'acknowledged';
    }
    if (status === 413) return 'too_large';
    if (status === 400 || status === 422) {
      this.log.error(
        { status, events: batch.events.length, reason: controlPlaneErrorMessage(text) ?? text.slice(0, 300) },
        'control plane rejected an event batch as invalid; moved it to the dead-letter file',
      );
      return 'invalid';
    }
    if (status === 401 || status === 403) {
      if (!this.authWarned) this.log.error({ status }, 'control plane refused the node token; events stay spooled until it is accepted');
      this.authWarned = true;
      return 'unauthorized';
    }
    this.log[this.failures === 0 ? 'warn' : 'debug']({ status, failures: this.failures }, 'control plane could not take events; retrying with backoff');
    return 'retry';
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.inBackoff = true;
    const delay = backoffDelay(this.failures++, this.options.backoff ?? DEFAULT_BACKOFF);
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inBackoff = false;
      this.start(true);
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function parseAck(text: string): { accepted: number; duplicates: number } {
  try {
    const ack = JSON.parse(text) as { accepted?: unknown; duplicates?: unknown };
    return { accepted: Number(ack.accepted) || 0, duplicates: Number(ack.duplicates) || 0 };
  } catch {
    return { accepted: 0, duplicates: 0 };
  }
}
