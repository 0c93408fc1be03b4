import { createClient, type Client } from 'graphql-ws/client';
import WebSocket from 'ws';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../config/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { ControlPlaneEndpoints } from './endpoints.js';

/** How long closing a client may take before its socket is cut: a stuck handshake never ends. */
const DEFAULT_DISPOSE_TIMEOUT_MS = 1_000;

/** One graphql-ws subscription to the control plane and what to do with its results. */
export interface ResilientSubscriptionOptions {
  /** The control planes (http or https base URLs); each attempt's socket goes to `/graphql` of the one in use, with ws or wss. */
  readonly endpoints: ControlPlaneEndpoints;
  readonly nodeToken: string;
  /** Already scoped to the caller's component; failures and recoveries are logged here. */
  readonly logger: Logger;
  /** The stream's name in log lines, e.g. "config stream". */
  readonly name: string;
  readonly query: string;
  /** The variables of each attempt, read when it subscribes (so they can follow local state). */
  readonly variables: () => Record<string, unknown>;
  /** The subscription field whose value each result carries. */
  readonly field: string;
  /** Receives the field's value of each result without errors. */
  readonly onValue: (value: unknown) => void;
  readonly backoff?: BackoffOptions;
  readonly disposeTimeoutMs?: number;
}

/** A subscription that keeps itself open until stopped. */
export interface ResilientSubscription {
  /** Subscribes (if not already running); failures retry with backoff until `stop`. */
  start(): void;
  /** Drops the current attempt and subscribes again at once, unless a retry is already scheduled. */
  resubscribe(): void;
  /** Stops retrying and closes the socket; resolves within the dispose bound even if the server hangs. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * A graphql-ws subscription with the node's reconnect policy: one client per attempt, disposed
 * when the stream fails or ends, and a new one after a jittered backoff — so retry pacing lives
 * here rather than split with graphql-ws's own retries. A generation counter makes callbacks
 * of a torn-down attempt inert. Failures are logged when a streak starts; the retries after it
 * only at debug level, and the first result after a streak logs the recovery. An attempt that
 * fails marks its control plane unreachable, so the next one goes to the next control plane.
 */
export function createResilientSubscription(options: ResilientSubscriptionOptions): ResilientSubscription {
  const log = options.logger;
  const disposeTimeoutMs = options.disposeTimeoutMs ?? DEFAULT_DISPOSE_TIMEOUT_MS;
  let current: Attempt | null = null;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let running = false;
  let generation = 0;
  let failing = false;

  function subscribe(): void {
    if (!running) return;
    const mine = ++generation;
    const base = options.endpoints.current;
    const sockets = new Set<WebSocket>();
    // A subclass per attempt so a hung socket can be cut when disposing it takes too long.
    class TrackedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        sockets.add(this);
      }
    }
    const client = createClient({
      url: `${base.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: TrackedWebSocket,
      connectionParams: { authorization: `Bearer ${options.nodeToken}` },
      lazy: true,
      retryAttempts: 0,
      keepAlive: 15_000,
    });
    const unsubscribe = client.subscribe<Record<string, unknown>>(
      { query: options.query, variables: options.variables() },
      {
        next(result) {
          if (mine !== generation) return;
          if (result.errors?.length) {
            if (!failing) log.warn({ errors: result.errors.map((e) => e.message) }, `${options.name} returned errors; retrying with backoff`);
            failing = true;
            retryLater();
            return;
          }
          attempt = 0;
          if (failing) log.info(`${options.name} is back`);
          failing = false;
          options.onValue(result.data?.[options.field]);
        },
        error(err) {
          if (mine !== generation) return;
          log[failing ? 'debug' : 'warn']({ reason: describeFailure(err), attempt }, `${options.name} failed; retrying with backoff`);
          failing = true;
          options.endpoints.unreachable(base);
          retryLater();
        },
        complete() {
          if (mine !== generation) return;
          log.info(`${options.name} ended; resubscribing`);
          retryLater();
        },
      },
    );
    current = { client, unsubscribe, sockets };
  }

  /** Forgets the current attempt (its callbacks go inert) and hands it back for closing. */
  function detach(): Attempt | null {
    generation++;
    const previous = current;
    current = null;
    return previous;
  }

  function teardown(): void {
    const previous = detach();
    // Disposing inside a graphql-ws callback re-enters the client; do it on a clean stack.
    if (previous) setImmediate(() => void closeAttempt(previous, disposeTimeoutMs));
  }

  function retryLater(): void {
    teardown();
    if (!running || timer) return;
    timer = setTimeout(
      () => {
        timer = null;
        subscribe();
      },
      backoffDelay(attempt++, options.backoff ?? DEFAULT_BACKOFF),
    );
  }

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      attempt = 0;
      subscribe();
    },
    resubscribe() {
      if (!running) return;
      teardown();
      if (timer) return;
      subscribe();
    },
    async stop() {
      if (!running) return;
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      const previous = detach();
      if (previous) await closeAttempt(previous, disposeTimeoutMs);
    },
  };
}

/** One attempt's client, its cleanup, and the sockets it opened. */
interface Attempt {
  readonly client: Client;
  readonly unsubscribe: () => void;
  readonly sockets: Set<WebSocket>;
}

/**
 * Unsubscribes and disposes the client, bounded: graphql-ws's `dispose` waits for a connection
 * attempt in flight, which a control plane that accepted the socket but never answers would
 * stretch forever. Past the bound the sockets are cut; graphql-ws sees them close (its own
 * listeners stay attached, so the abort surfaces as a close, never as an unhandled error).
 */
async function closeAttempt(attempt: Attempt, timeoutMs: number): Promise<void> {
  attempt.unsubscribe();
  let timeout: NodeJS.Timeout | undefined;
  const disposed = Promise.resolve(attempt.client.dispose()).then(
    () => true,
    () => true,
  );
  const timedOut = new Promise<false>((resolve) => {
    timeout = setTimeout(() => resolve(false), timeoutMs);
  });
  const clean = await Promise.race([disposed, timedOut]);
  clearTimeout(timeout);
  if (!clean) for (const socket of attempt.sockets) socket.terminate();
}

/** A close event or error as a short string, without anything the server echoed back verbatim. */
export function describeFailure(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  const event = err as { code?: unknown; reason?: unknown; message?: unknown; error?: unknown } | null;
  if (event && typeof event.code === 'number') return `socket closed with code ${event.code}${event.reason ? ` (${String(event.reason)})` : ''}`;
  if (event && typeof event.message === 'string') return event.message;
  if (event && event.error instanceof Error) return event.error.message;
  return String(err);
}
