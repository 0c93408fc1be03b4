import { hostname } from 'node:os';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../observability/logger.js';

/** The mutation a node sends every interval so the control plane can show it alive, current and caught up. */
export const HEARTBEAT_MUTATION = /* GraphQL */ `
  mutation NodeHeartbeat($input: NodeHeartbeatInput!) {
    nodeHeartbeat(input: $input)
  }
`;

/** Where heartbeats go, how often, and what they report. */
export interface HeartbeatOptions {
  /** The control plane's base URL; the mutation goes to `/graphql`. */
  readonly controlPlaneUrl: string;
  readonly nodeId: string;
  readonly nodeToken: string;
  readonly intervalMs: number;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  readonly softwareVersion: string;
  /** Current state, read at each beat. */
  readonly state: () => { configVersion: number | null; eventBacklog: number };
}

/** A running heartbeat. */
export interface Heartbeat {
  /** Sends one heartbeat now; never rejects. */
  beat(): Promise<void>;
  stop(): void;
}

/**
 * Posts `nodeHeartbeat` every `intervalMs` (first one at once). Failures are logged when they
 * start and when they stop, not on every beat, and never stop the node from serving.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const log = options.logger.child({ component: 'heartbeat' });
  const url = `${options.controlPlaneUrl}/graphql`;
  const host = hostname();
  let failing = false;
  let stopped = false;

  async function beat(): Promise<void> {
    const { configVersion, eventBacklog } = options.state();
    const input = { nodeId: options.nodeId, configVersion: configVersion ?? 0, eventBacklog, hostname: host, softwareVersion: options.softwareVersion };
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { authorization: `Bearer ${options.nodeToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: HEARTBEAT_MUTATION, variables: { input } }),
        headersTimeout: options.intervalMs,
        bodyTimeout: options.intervalMs,
      });
      const body = (await res.body.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
      if (res.statusCode >= 300 || body?.errors?.length) {
        throw new Error(`status ${res.statusCode}${body?.errors?.length ? `: ${body.errors.map((e) => e.message).join('; ')}` : ''}`);
      }
      if (failing) log.info('heartbeat accepted again');
      failing = false;
    } catch (err) {
      if (!failing && !stopped) log.warn({ reason: (err as Error).message }, 'heartbeat failed; will keep trying');
      failing = true;
    }
  }

  void beat();
  const timer = setInterval(() => void beat(), options.intervalMs);
  timer.unref();
  return {
    beat,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
