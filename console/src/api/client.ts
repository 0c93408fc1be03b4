import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/vue';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { shallowRef, type Ref } from 'vue';
import { isUnauthenticated } from './errors';

/** State of the graphql-ws connection, for the "live" indicators. */
export type LiveConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** What a Keyward API client needs from the app around it. */
export interface KeywardClientOptions {
  /** Called when the control plane answers that the session is missing or over. */
  readonly onUnauthenticated: () => void;
  /** Receives the subscription connection's state changes. */
  readonly connection: Ref<LiveConnectionState>;
}

/** An urql client and the WebSocket client behind its subscriptions. */
export interface KeywardClient {
  readonly client: Client;
  /** Closes the WebSocket; the client must not be used afterwards. */
  dispose(): void;
}

function webSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

/**
 * Creates the console's GraphQL client: queries and mutations as JSON POSTs to `/graphql` on
 * the same origin (the session cookie rides along; Apollo's CSRF check wants JSON POSTs, so
 * GET is never used), subscriptions over graphql-ws on the same path. The organization is
 * the session's current one (switched with `switchOrganization`). One client serves one person
 * in one organization; the session replaces it when either changes, which also drops the
 * previous person's cached results and reconnects the WebSocket as them.
 */
export function createKeywardClient(options: KeywardClientOptions): KeywardClient {
  const ws: WsClient = createWsClient({
    url: webSocketUrl(),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connecting: (isRetry) => (options.connection.value = isRetry ? 'reconnecting' : 'connecting'),
      connected: () => (options.connection.value = 'connected'),
      closed: () => {
        if (options.connection.value === 'connected') options.connection.value = 'idle';
      },
    },
  });

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) options.onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    dispose() {
      void ws.dispose();
      options.connection.value = 'idle';
    },
  };
}

/** A ref for `KeywardClientOptions.connection`. */
export function createConnectionState(): Ref<LiveConnectionState> {
  return shallowRef<LiveConnectionState>('idle');
}
