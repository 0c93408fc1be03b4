import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '../observability/logger.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { ConfigConsumer, ConfigSource } from './source.js';

/** The subscription every node runs; each `next` carries one `ConfigMessage` as a JSON scalar. */
export const CONFIG_SUBSCRIPTION = /* GraphQL */ `
  subscription ConfigStream($nodeId: String!, $knownVersion: Int) {
    configStream(nodeId: $nodeId, knownVersion: $knownVersion)
  }
`;

/** Where the config stream connects and how it authenticates. */
export interface GraphqlConfigSourceOptions {
  /** The control plane's base URL (http or https); the socket goes to `/graphql` with ws or wss. */
  readonly controlPlaneUrl: string;
  readonly nodeId: string;
  readonly nodeToken: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/**
 * The control plane's config stream over graphql-ws. One client per attempt: when the stream
 * fails or ends, the client is disposed and a new one subscribes after a jittered backoff, so
 * reconnect policy lives here rather than split with graphql-ws's own retries.
 */
export function createGraphqlConfigSource(options: GraphqlConfigSourceOptions): ConfigSource {
  const url = `${options.controlPlaneUrl.replace(/^http/, 'ws')}/graphql`;
  const log = options.logger.child({ component: 'config-stream' });
  let consumer: ConfigConsumer | null = null;
  let client: Client | null = null;
  let unsubscribe: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let closed = false;
  let wantSnapshot = false;
  let generation = 0;
  // Failures are logged when a streak starts; the retries after it only at debug level.
  let failing = false;

  function subscribe(): void {
    if (closed || !consumer) return;
    const current = consumer;
    const mine = ++generation;
    const knownVersion = wantSnapshot ? null : current.currentVersion();
    wantSnapshot = false;
    client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${options.nodeToken}` },
      lazy: true,
      retryAttempts: 0,
      keepAlive: 15_000,
    });
    unsubscribe = client.subscribe<{ configStream: unknown }>(
      { query: CONFIG_SUBSCRIPTION, variables: { nodeId: options.nodeId, knownVersion } },
      {
        next(result) {
          if (mine !== generation) return;
          if (result.errors?.length) {
            log.warn({ errors: result.errors.map((e) => e.message) }, 'config stream returned errors');
            retryLater();
            return;
          }
          attempt = 0;
          if (failing) log.info('config stream is back');
          failing = false;
          current.message(result.data?.configStream);
        },
        error(err) {
          if (mine !== generation) return;
          const level = failing ? 'debug' : 'warn';
          log[level]({ reason: describe(err), attempt }, 'config stream failed; retrying with backoff');
          failing = true;
          retryLater();
        },
        complete() {
          if (mine !== generation) return;
          log.info('config stream ended; resubscribing');
          retryLater();
        },
      },
    );
  }

  function teardown(): void {
    generation++;
    const [u, c] = [unsubscribe, client];
    unsubscribe = null;
    client = null;
    // Disposing inside a graphql-ws callback re-enters the client; do it on a clean stack.
    setImmediate(() => {
      u?.();
      void c?.dispose();
    });
  }

  function retryLater(): void {
    teardown();
    if (closed || timer) return;
    const delay = backoffDelay(attempt++, options.backoff ?? DEFAULT_BACKOFF);
    timer = setTimeout(() => {
      timer = null;
      subscribe();
    }, delay);
  }

  return {
    name: 'control-plane',
    start(c) {
      consumer = c;
      subscribe();
    },
    resync() {
      wantSnapshot = true;
      teardown();
      if (timer) return;
      subscribe();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const [u, c] = [unsubscribe, client];
      generation++;
      unsubscribe = null;
      client = null;
      u?.();
      await c?.dispose();
    },
  };
}

/** A close event or error as a short string, without anything the server echoed back verbatim. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  const event = err as { code?: unknown; reason?: unknown; message?: unknown; error?: unknown } | null;
  if (event && typeof event.code === 'number') return `socket closed with code ${event.code}${event.reason ? ` (${String(event.reason)})` : ''}`;
  if (event && typeof event.message === 'string') return event.message;
  if (event && event.error instanceof Error) return event.error.message;
  return String(err);
}
