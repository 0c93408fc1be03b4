import type { ReportedCircuit } from '@keyward/shared';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.js';
import { FailureStreak } from '../observability/failure-streak.js';
import type { ControlPlaneClient } from './client.js';

/** The mutation a node sends every interval so the control plane can show it alive, current and caught up. */
export const HEARTBEAT_MUTATION = /* GraphQL */ `
  mutation NodeHeartbeat($input: NodeHeartbeatInput!) {
    nodeHeartbeat(input: $input)
  }
`;

/** Where heartbeats go, how often, and what they report. */
export interface HeartbeatOptions {
  readonly client: ControlPlaneClient;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly softwareVersion: string;
  /** Current state, read at each beat. */
  readonly state: () => { configVersion: number | null; eventBacklog: number; openCircuits: readonly ReportedCircuit[] };
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
  const streak = new FailureStreak(options.logger.child({ component: 'heartbeat' }), {
    failing: 'heartbeat failed; will keep trying',
    recovered: 'heartbeat accepted again',
  });
  const host = hostname();

  async function beat(): Promise<void> {
    const { configVersion, eventBacklog, openCircuits } = options.state();
    const input = {
      nodeId: options.nodeId,
      configVersion: configVersion ?? 0,
      eventBacklog,
      hostname: host,
      softwareVersion: options.softwareVersion,
      openCircuits,
    };
    try {
      await options.client.graphql(HEARTBEAT_MUTATION, { input }, options.intervalMs);
      streak.succeeded();
    } catch (err) {
      streak.failed((err as Error).message);
    }
  }

  void beat();
  const timer = setInterval(() => void beat(), options.intervalMs);
  timer.unref();
  return {
    beat,
    stop() {
      streak.stop();
      clearInterval(timer);
    },
  };
}
