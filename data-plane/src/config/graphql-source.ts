import type { ControlPlaneEndpoints } from '../control-plane/endpoints.js';
import { createResilientSubscription } from '../control-plane/resilient-subscription.js';
import type { Logger } from '../observability/logger.js';
import type { BackoffOptions } from './backoff.js';
import type { ConfigConsumer, ConfigSource } from './source.js';

/** The subscription every node runs; each `next` carries one `ConfigMessage` as a JSON scalar. */
export const CONFIG_SUBSCRIPTION = /* GraphQL */ `
  subscription ConfigStream($nodeId: String!, $knownVersion: Int) {
    configStream(nodeId: $nodeId, knownVersion: $knownVersion)
  }
`;

/** Where the config stream connects and how it authenticates. */
export interface GraphqlConfigSourceOptions {
  /** The control planes (http or https base URLs); the socket goes to `/graphql` of the one in use, with ws or wss. */
  readonly endpoints: ControlPlaneEndpoints;
  readonly nodeId: string;
  readonly nodeToken: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/**
 * The control plane's config stream, kept open by the shared resilient subscription. Each
 * attempt asks for changes since the version the consumer holds, or for a full snapshot after
 * `resync` (the consumer found a gap or a bad message).
 */
export function createGraphqlConfigSource(options: GraphqlConfigSourceOptions): ConfigSource {
  let consumer: ConfigConsumer | null = null;
  let closed = false;
  let wantSnapshot = false;
  const stream = createResilientSubscription({
    endpoints: options.endpoints,
    nodeToken: options.nodeToken,
    logger: options.logger.child({ component: 'config-stream' }),
    name: 'config stream',
    query: CONFIG_SUBSCRIPTION,
    variables() {
      const knownVersion = wantSnapshot ? null : (consumer?.currentVersion() ?? null);
      wantSnapshot = false;
      return { nodeId: options.nodeId, knownVersion };
    },
    field: 'configStream',
    backoff: options.backoff,
    onValue: (value) => consumer?.message(value),
  });

  return {
    name: 'control-plane',
    start(c) {
      if (closed) return;
      consumer = c;
      stream.start();
    },
    resync() {
      wantSnapshot = true;
      stream.resubscribe();
    },
    async close() {
      closed = true;
      await stream.stop();
    },
  };
}
