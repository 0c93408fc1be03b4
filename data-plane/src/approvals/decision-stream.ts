import { validateApprovalDecision, type ApprovalDecisionMessage } from '@keyward/shared';
import type { BackoffOptions } from '../config/backoff.js';
import type { ControlPlaneEndpoints } from '../control-plane/endpoints.js';
import { createResilientSubscription } from '../control-plane/resilient-subscription.js';
import type { Logger } from '../observability/logger.js';

/** The subscription a node holds while it keeps requests waiting for approval. */
const APPROVAL_DECISIONS_SUBSCRIPTION = /* GraphQL */ `
  subscription ApprovalDecisions($nodeId: String!) {
    approvalDecisions(nodeId: $nodeId)
  }
`;

/** Where the decision stream connects and what it reports to. */
export interface DecisionStreamOptions {
  /** The control planes (http or https base URLs); the socket goes to `/graphql` of the one in use, with ws or wss. */
  readonly endpoints: ControlPlaneEndpoints;
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
 * The `approvalDecisions` subscription, kept open by the shared resilient subscription (the
 * same connection handling as the config stream). The control plane re-sends every decision
 * whose outcome it has not received on each new subscription, so nothing decided while the
 * socket was down is lost.
 */
export function createDecisionStream(options: DecisionStreamOptions): DecisionStream {
  const log = options.logger.child({ component: 'approval-decisions' });
  return createResilientSubscription({
    endpoints: options.endpoints,
    nodeToken: options.nodeToken,
    logger: log,
    name: 'approval decision stream',
    query: APPROVAL_DECISIONS_SUBSCRIPTION,
    variables: () => ({ nodeId: options.nodeId }),
    field: 'approvalDecisions',
    backoff: options.backoff,
    onValue(value) {
      let decision: ApprovalDecisionMessage;
      try {
        decision = validateApprovalDecision(value);
      } catch (err) {
        log.error({ reason: (err as Error).message }, 'ignored an invalid approval decision');
        return;
      }
      options.onDecision(decision);
    },
  });
}
