import { startBaselineLearner } from './anomaly/learn-baselines.js';
import { publishApprovalChange } from './approvals/approval-publish.js';
import { startExpirySweeper } from './approvals/expiry-sweeper.js';
import { startCheckpointSigner } from './audit-chain/checkpoints.js';
import { loadPublishedConfig } from './config-publish/publish.js';
import { publishStoredEvents } from './events/ingest.js';
import { startRetentionSweeper } from './events/retention.js';
import { registerBootstrapNodeToken } from './nodes/bootstrap-node-token.js';
import { startPoolExpiryNotices } from './pools/expiry-notices.js';
import { createFirstOwner } from './sessions/first-start.js';
import { startOrganizationDeletionJob } from './privacy/organization-deletion-job.js';
import { startSignInPruner } from './sessions/prune.js';
import type { Services } from './services.js';
import { startDeliveryWorker } from './webhooks/delivery-worker.js';
import { sealPlainWebhookUrls } from './webhooks/webhook-url.js';
import { startSinkWorker } from './audit-sinks/sink-worker.js';

/** Stops background work a start-up task began; awaited when the control plane closes, before the database. */
export type StopBackgroundWork = () => Promise<void>;

/**
 * Work done once after the database is ready and before the server listens (e.g. first-start
 * owner). A task that starts background work (a worker, a sweeper) returns how to stop it.
 */
export type StartupTask = (services: Services) => Promise<void | StopBackgroundWork>;

/**
 * Listens for what the other control planes of the database commit and publishes it here as if
 * it had been committed here: config versions (read from `config_versions`), stored events and
 * approval changes (read by id). Each time the listening connection is (re)established the config
 * store catches up, so a version announced while it was away still reaches this one's nodes.
 */
async function listenToReplicas(services: Services): Promise<StopBackgroundWork> {
  const { clusterBus, configStore } = services;
  await clusterBus.listen({
    config: () => configStore.catchUp(),
    events: (ids) => publishStoredEvents(services, ids),
    approval: (orgId, id) => publishApprovalChange(services, orgId, id),
    listening: () => configStore.catchUp(),
  });
  return () => clusterBus.stop();
}

/** Every start-up task, in order. */
export const STARTUP_TASKS: StartupTask[] = [
  (services) => createFirstOwner(services),
  (services) => startSignInPruner(services),
  registerBootstrapNodeToken,
  // After the first owner exists, so a brand-new organization is published before nodes connect.
  loadPublishedConfig,
  // After the config is loaded, so catching up continues from it.
  listenToReplicas,
  // Held approvals and queued notifications are rows: these pick up where the last run stopped.
  startExpirySweeper,
  // Before deliveries start: URLs an earlier release stored in plain text are sealed.
  sealPlainWebhookUrls,
  startDeliveryWorker,
  // Expiries of pool keys while the control plane was down are reported first.
  startPoolExpiryNotices,
  // Audit sinks resume from their stored cursors.
  startSinkWorker,
  // Events and admin-log entries older than their organization's retention.
  startRetentionSweeper,
  // Organizations whose deletion grace period ended; a round cut short resumes here.
  startOrganizationDeletionJob,
  // Signs the audit chains' checkpoints every N rows or M minutes.
  startCheckpointSigner,
  // Learns anomaly baselines from stored events and republishes organizations whose baselines moved.
  startBaselineLearner,
];
