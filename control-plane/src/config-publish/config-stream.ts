import { validateConfigMessage, type ConfigMessage } from '@keyward/shared';
import type { Logger } from '../logger.js';
import type { ConfigStore, ConfigUpdate } from './config-store.js';

/** Deltas a slow node may have queued before it is sent one fresh snapshot instead. */
const MAX_QUEUED_MESSAGES = 256;

/** Who a stream serves: every organization (`scope` null) or one. */
export interface ConfigStreamOptions {
  readonly scope: string | null;
  /** The version the node already serves: it is sent only what changed since, when the store still knows. */
  readonly knownVersion?: number | null;
  readonly log: Logger;
  /** Called once when the stream ends, however it ends. */
  readonly onClose?: () => void;
}

/**
 * A node's config stream: the full snapshot first (even when empty), then one delta per publish
 * with `fromVersion` equal to the previous message's version. A node that names the version it
 * already serves is spared the snapshot when the store still holds every update since: it gets
 * one delta from its version to the current one (an empty one at its own version when it is
 * already current, which tells it the stream is live). A node scoped to one organization
 * gets an empty delta for publishes of other organizations, so every node follows the one
 * version sequence. Every message passes the same validator the node runs; a publish's delta
 * is built and checked once by the store and sent as the same object on every stream.
 */
export function openConfigStream(store: ConfigStore, options: ConfigStreamOptions): ConfigStream {
  return new ConfigStream(store, options);
}

/** The async iterator graphql-ws drains; `return()` (client gone) unsubscribes. */
export class ConfigStream implements AsyncIterableIterator<ConfigMessage> {
  private readonly queue: ConfigMessage[] = [];
  private waiter: ((result: IteratorResult<ConfigMessage>) => void) | null = null;
  private done = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ConfigStore,
    private readonly options: ConfigStreamOptions,
  ) {
    // Subscription and first message happen in the same tick, so no update falls between them.
    this.unsubscribe = store.subscribe((update) => this.onUpdate(update));
    const known = options.knownVersion ?? null;
    const missed = known === null ? null : store.changesSince(known, options.scope);
    if (missed === null) this.push(store.snapshot(options.scope));
    else this.push({ type: 'delta', fromVersion: known!, version: store.version, generatedAt: new Date().toISOString(), ...missed });
  }

  /** Ends the stream from the server side (e.g. its node token was revoked). */
  close(): void {
    void this.return();
  }

  next(): Promise<IteratorResult<ConfigMessage>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<ConfigMessage>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.unsubscribe();
      this.options.onClose?.();
      const waiter = this.waiter;
      this.waiter = null;
      waiter?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ConfigMessage>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Never sends a node something it would reject: the stream ends, and the node reconnects for a fresh snapshot. */
  private refuse(reason: string): void {
    this.options.log.error({ reason }, 'refusing to send an invalid config message; closing the stream');
    void this.return();
  }

  private onUpdate(update: ConfigUpdate): void {
    const relevant = this.options.scope === null || this.options.scope === update.orgId;
    if (this.queue.length >= MAX_QUEUED_MESSAGES) {
      // The node is not keeping up: one snapshot replaces everything it has not read yet.
      this.queue.length = 0;
      this.push(this.store.snapshot(this.options.scope));
      return;
    }
    if (relevant && update.invalid !== null) this.refuse(update.invalid);
    else this.push(relevant ? update.delta : update.elsewhere, true);
  }

  /** `checked`: the message already passed the validator (the store checks each publish's delta once). */
  private push(message: ConfigMessage, checked = false): void {
    if (this.done) return;
    if (!checked) {
      try {
        validateConfigMessage(message);
      } catch (error) {
        this.refuse((error as Error).message);
        return;
      }
    }
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: message, done: false });
    } else {
      this.queue.push(message);
    }
  }
}
