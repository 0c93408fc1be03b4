import { validateApprovalDecision, type ApprovalDecisionMessage } from '@keyward/shared';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../config/backoff.js';
import type { Logger } from '../observability/logger.js';

/** The subscription a node holds while it keeps requests waiting for approval. */
export const APPROVAL_DECISIONS_SUBSCRIPTION = /* GraphQL */ `
  subscription ApprovalDecisions($nodeId: String!) {
    approvalDecisions(nodeId: $nodeId)
  }
`;

/** Where the decision stream connects and what it reports to. */
export interface DecisionStreamOptions {
  /** The control plane's base URL (http or https); the socket goes to `/graphql` with ws or wss. */
  readonly controlPlaneUrl: string;
  readonly nodeId: string;
  readonly nodeToken: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** Receives each valid decision. */
  readonly onDecision: (decision: ApprovalDecisionMessage) => void;
}

/** A decision subscription that can be opened and closed as holds come and go. */
export interface DecisionStream {
  /** Subscribes (if not already); failures retry with backoff until `stop`. */
  start(): void;
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * The `approvalDecisions` subscription over graphql-ws, with the same connection handling as
 * the config stream: one client per attempt, disposed when the stream fails or ends, and a new
 * one after a jittered backoff. The control plane re-sends every decision whose outcome it has
 * not received on each new subscription, so nothing decided while the socket was down is lost.
 */
export function createDecisionStream(options: DecisionStreamOptions): DecisionStream {
  const url = `${options.controlPlaneUrl.replace(/^http/, 'ws')}/graphql`;
  const log = options.logger.child({ component: 'approval-decisions' });
  let client: Client | null = null;
  let unsubscribe: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let running = false;
  let generation = 0;
  let failing = false;

  function subscribe(): void {
    if (!running) return;
    const mine = ++generation;
    client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${options.nodeToken}` },
      lazy: true,
      retryAttempts: 0,
      keepAlive: 15_000,
    });
    unsubscribe = client.subscribe<{ approvalDecisions: unknown }>(
      { query: APPROVAL_DECISIONS_SUBSCRIPTION, variables: { nodeId: options.nodeId } },
      {
        next(result) {
          if (mine !== generation) return;
          if (result.errors?.length) {
            if (!failing) log.warn({ errors: result.errors.map((e) => e.message) }, 'approval decision stream returned errors; retrying with backoff');
            failing = true;
            retryLater();
            return;
          }
          attempt = 0;
          if (failing) log.info('approval decision stream is back');
          failing = false;
          let decision: ApprovalDecisionMessage;
          try {
            decision = validateApprovalDecision(result.data?.approvalDecisions);
          } catch (err) {
            log.error({ reason: (err as Error).message }, 'ignored an invalid approval decision');
            return;
          }
          options.onDecision(decision);
        },
        error(err) {
          if (mine !== generation) return;
          log[failing ? 'debug' : 'warn']({ reason: describe(err), attempt }, 'approval decision stream failed; retrying with backoff');
          failing = true;
          retryLater();
        },
        complete() {
          if (mine !== generation) return;
          log.debug('approval decision stream ended; resubscribing');
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
    if (!running || timer) return;
    timer = setTimeout(() => {
      timer = null;
      subscribe();
    }, backoffDelay(attempt++, options.backoff ?? DEFAULT_BACKOFF));
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
    async stop() {
      if (!running) return;
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      const [u, c] = [unsubscribe, client];
      generation++;
      unsubscribe = null;
      client = null;
      u?.();
      // graphql-ws's dispose waits for a connection attempt in flight, which a control plane
      // that accepted the socket but never answers would stretch forever: bound it.
      await Promise.race([c?.dispose(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    },
  };
}

/** A close event or error as a short string. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  const event = err as { code?: unknown; reason?: unknown; message?: unknown } | null;
  if (event && typeof event.code === 'number') return `socket closed with code ${event.code}${event.reason ? ` (${String(event.reason)})` : ''}`;
  if (event && typeof event.message === 'string') return event.message;
  return String(err);
}
