import type { EntityManager } from '@mikro-orm/postgresql';
import { DecisionHub } from './approvals/decision-stream.js';
import { ExpirySweeper } from './approvals/expiry-sweeper.js';
import { AuditSigner } from './audit-chain/signing-key.js';
import { ChainTips } from './audit-chain/chain-tips.js';
import { createStripeBilling } from './billing/stripe/stripe-client.js';
import { AlertScheduler } from './budgets/alerts.js';
import { ConfigStore } from './config-publish/config-store.js';
import { ConnectedNodes } from './nodes/connected-nodes.js';
import { PoolExpiryNotices } from './pools/expiry-notices.js';
import type { CoreServices, Services } from './services.js';
import { DeliveryWorker } from './webhooks/delivery-worker.js';
import { SinkWorker } from './audit-sinks/sink-worker.js';

/** Budget alert checks wait this long after spend grows, so a burst of batches is checked once. */
const ALERT_DELAY_MS = 250;

/**
 * Creates every worker and registry of a control plane around its core services, in one place.
 * Workers receive the finished object; none of them uses another in its constructor. Workers
 * that run in the background are started and stopped by their start-up tasks (`startup.ts`).
 */
export function createServices(core: CoreServices): Services {
  const services = { ...core } as { -readonly [K in keyof Services]: Services[K] };
  services.configStore = new ConfigStore(() => core.orm.em.fork({ clear: true }) as EntityManager, core.log);
  services.connectedNodes = new ConnectedNodes();
  services.decisionHub = new DecisionHub();
  services.expirySweeper = new ExpirySweeper(services);
  services.alerts = new AlertScheduler(services, ALERT_DELAY_MS);
  services.poolExpiry = new PoolExpiryNotices(services);
  services.deliveryWorker = new DeliveryWorker(services);
  services.sinkWorker = new SinkWorker(services);
  services.chainTips = new ChainTips();
  services.auditSigner = new AuditSigner(core.kms, () => core.orm.em.fork({ clear: true }) as EntityManager);
  services.stripe = createStripeBilling(core.config.stripe);
  return services;
}
