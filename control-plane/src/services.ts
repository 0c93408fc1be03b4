import type { MikroORM } from '@mikro-orm/postgresql';
import type { Kms } from '@keyward/shared';
import type { ControlPlaneConfig } from './config.js';
import type { Logger } from './logger.js';
import type { KeywardPubSub } from './graphql/pubsub.js';
import type { ClusterBus } from './db/cluster-bus.js';
import type { Mailer, TerminalWriter } from './mail/mailer.js';
import type { DecisionHub } from './approvals/decision-stream.js';
import type { AuditSigner } from './audit-chain/signing-key.js';
import type { ChainTips } from './audit-chain/chain-tips.js';
import type { ExpirySweeper } from './approvals/expiry-sweeper.js';
import type { StripeBilling } from './billing/stripe/stripe-client.js';
import type { AlertScheduler } from './budgets/alerts.js';
import type { PoolExpiryNotices } from './pools/expiry-notices.js';
import type { ConfigStore } from './config-publish/config-store.js';
import type { ConnectedNodes } from './nodes/connected-nodes.js';
import type { DeliveryWorker } from './webhooks/delivery-worker.js';
import type { SinkWorker } from './audit-sinks/sink-worker.js';

/** What a control plane is made from: settings, connections and outputs, before its workers. */
export interface CoreServices {
  readonly config: ControlPlaneConfig;
  readonly log: Logger;
  readonly orm: MikroORM;
  readonly kms: Kms;
  readonly pubSub: KeywardPubSub;
  /** Tells the other control planes of the database what this one committed (`LISTEN`/`NOTIFY`). */
  readonly clusterBus: ClusterBus;
  /** Sends sign-in codes and invitations (SMTP, the development terminal, or a test outbox). */
  readonly mailer: Mailer;
  /** Plain-text output for the operator (the first-start banner), outside the JSON logs. */
  readonly terminal: TerminalWriter;
}

/**
 * The long-lived collaborators of a running control plane, created once by `createServices` in
 * `startControlPlane` and reachable from every resolver as `ctx.services`. Every piece of state
 * or background work the process keeps is a field here; none hides in a module.
 */
export interface Services extends CoreServices {
  /** The published config as this process serves it, with the recent updates nodes resume from. */
  readonly configStore: ConfigStore;
  /** Which nodes hold an open config stream here. */
  readonly connectedNodes: ConnectedNodes;
  /** Open approval-decision streams of the nodes holding requests. */
  readonly decisionHub: DecisionHub;
  /** Expires held requests on time (started by a start-up task). */
  readonly expirySweeper: ExpirySweeper;
  /** Reports expiries of pool recipients' keys (started by a start-up task). */
  readonly poolExpiry: PoolExpiryNotices;
  /** Checks budget alerts after spend grows. */
  readonly alerts: AlertScheduler;
  /** Delivers webhook and Slack notifications (started by a start-up task). */
  readonly deliveryWorker: DeliveryWorker;
  /** Exports the audit chains to each organization's sinks (started by a start-up task). */
  readonly sinkWorker: SinkWorker;
  /** Where this process expects each organization's usage chain to end: ingestion hashes batches onto it before locking. */
  readonly chainTips: ChainTips;
  /** Signs audit checkpoints with the installation's Ed25519 key, kept under the KMS. */
  readonly auditSigner: AuditSigner;
  /** Stripe, when configured. */
  readonly stripe: StripeBilling | null;
}
