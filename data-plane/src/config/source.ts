/** Receives what a config source delivers. */
export interface ConfigConsumer {
  /** One message as received (unvalidated: the consumer validates). */
  message(raw: unknown): void;
  /** The version the node serves now, sent as `knownVersion` when (re)subscribing. */
  currentVersion(): number | null;
}

/**
 * Where config messages come from: the control plane's subscription in production, anything
 * that can hand over snapshots and deltas in tests.
 */
export interface ConfigSource {
  /** Shown in `/readyz` and logs as the origin of what it delivered. */
  readonly name: string;
  start(consumer: ConfigConsumer): void;
  /** Drops the current stream and asks for a fresh snapshot (after a version gap). */
  resync(): void;
  close(): Promise<void>;
}

/** A config source a test drives by hand. */
export interface ManualConfigSource extends ConfigSource {
  /** Delivers a message as if the control plane had sent it. */
  publish(message: unknown): void;
  /** How many times the node asked for a fresh snapshot. */
  readonly resyncRequests: number;
}

/**
 * A config source fed by the caller, for tests and embedding: messages published before the
 * node started are delivered when it starts; a resync re-delivers the last snapshot published.
 */
export function createManualConfigSource(name = 'manual'): ManualConfigSource {
  let consumer: ConfigConsumer | null = null;
  const queued: unknown[] = [];
  let lastSnapshot: unknown = null;
  let resyncs = 0;
  return {
    name,
    get resyncRequests() {
      return resyncs;
    },
    start(c) {
      consumer = c;
      for (const message of queued.splice(0)) c.message(message);
    },
    publish(message) {
      if ((message as { type?: unknown } | null)?.type === 'snapshot') lastSnapshot = message;
      if (consumer) consumer.message(message);
      else queued.push(message);
    },
    resync() {
      resyncs++;
      if (consumer && lastSnapshot) {
        const c = consumer;
        const snapshot = lastSnapshot;
        queueMicrotask(() => c.message(snapshot));
      }
    },
    async close() {
      consumer = null;
    },
  };
}
