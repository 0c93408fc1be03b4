import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGuardedAgent, createKms, preloadTokenizers, type Kms, type UsageEvent } from '@keyward/shared';
import type { Registry } from 'prom-client';
import { Agent } from 'undici';
import { createAnomalyHoldStep } from './anomaly/anomaly-hold-step.js';
import { AnomalyScorer } from './anomaly/anomaly-scorer.js';
import type { DataPlaneConfig } from './config.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './config/backoff.js';
import { createGraphqlConfigSource } from './config/graphql-source.js';
import type { ConfigSource } from './config/source.js';
import { ConfigSync, type ConfigOrigin } from './config/sync.js';
import type { ConfigView, ViewUpdate } from './config/view.js';
import { startSpendReconciler, type SpendReconciler } from './control-plane/budget-spend.js';
import { ControlPlaneClient } from './control-plane/client.js';
import { ControlPlaneEndpoints } from './control-plane/endpoints.js';
import { startHeartbeat, type Heartbeat } from './control-plane/heartbeat.js';
import { ClientHasher } from './events/client-hash.js';
import { EventShipper } from './events/shipper.js';
import { EventSpool } from './events/spool.js';
import { LeftoverSpools } from './events/leftover-spools.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { shareCircuits } from './routing/shared-circuits.js';
import { openCircuits, TargetHealthBoard, targetSamples } from './routing/target-health.js';
import { createResponseStore } from './cache/store.js';
import { createNodeLimiter, type Limiter } from './limits/index.js';
import type { EnforcementStep } from './steps/contract.js';
import type { Gateway } from './pipeline/gateway.js';
import { createLimitsStep } from './limits/limits-step.js';
import { createOrgLimitBook } from './limits/org-limits.js';
import { ApprovalClient } from './approvals/client.js';
import { createBudgetHold } from './policy/budget-hold.js';
import { createPolicyStep } from './policy/policy-step.js';
import { createMcpToolPolicy } from './mcp/tool-policy.js';
import { AggregateSessions } from './mcp/aggregate.js';
import { createProvenanceStep } from './provenance/provenance-step.js';
import { tokenSessionsFor } from './provenance/shared-token-sessions.js';
import { MemorySessionTable, type SessionTable } from './storage/session-table.js';
import { PolicySets } from './policy/policy-sets.js';
import { createApp, type Readiness } from './server/app.js';
import { RequestTracker } from './server/tracker.js';
import { uws, uwsImplementation, type us_listen_socket } from './server/uws.js';
import { McpUpstreamAuth } from './mcp/upstream-auth.js';
import { CredentialSecrets } from './upstream/credential-secrets.js';
import { SOFTWARE_VERSION } from './version.js';

/** Things a caller (a test, an embedding process) may supply instead of the defaults. */
export interface StartDataPlaneOptions {
  /** Where config comes from; the control plane's graphql-ws subscription by default. */
  readonly configSource?: ConfigSource;
  readonly logger?: Logger;
  /** Steps run after the limits step, between the key check and the upstream call (policies). */
  readonly enforcement?: readonly EnforcementStep[];
  /** Budget and rate-limit counters; by default Redis (`REDIS_URL`) behind a `ResilientLimiter`, else memory. Not closed by the node. */
  readonly limiter?: Limiter;
  /**
   * Sessions every thread of the process must see (HDP token ids' sessions without Redis, `/mcp`
   * aggregate sessions); by default this node's memory. Not closed by the node.
   */
  readonly sessionTable?: SessionTable;
  /** Reset budget counters from the control plane's spend every `KEYWARD_SPEND_RECONCILE_SECONDS` (default true). */
  readonly spendReconcile?: boolean;
  /** A KMS to use instead of building one from `config.kms`. */
  readonly kms?: Kms;
  /** Send heartbeats to the control plane (default true). */
  readonly heartbeat?: boolean;
  /** How long `close` keeps trying to ship spooled events (default 5 s). */
  readonly eventFlushTimeoutMs?: number;
  /** What `/metrics` serves instead of this node's registry (a worker: every worker's metrics added up). */
  readonly metricsText?: () => Promise<string>;
}

/** A running data-plane node. */
export interface DataPlane {
  readonly url: string;
  readonly port: number;
  readonly nodeId: string;
  /** Which uWebSockets.js implementation serves (`fallback` is the slow pure-JS one). */
  readonly server: 'native' | 'fallback';
  /** Resolves once some config is being served. */
  ready(): Promise<void>;
  readiness(): Readiness;
  /** Usage events spooled and not yet acknowledged. */
  eventBacklog(): number;
  /** This node's metrics as prom-client JSON, for a worker pool to add up. */
  metricsJson(): ReturnType<Registry['getMetricsAsJSON']>;
  /** Ships spooled events now; resolves true once none are left, false after `timeoutMs`. */
  flushEvents(timeoutMs?: number): Promise<boolean>;
  /**
   * Graceful stop: closes the listen socket, lets open requests finish until the drain
   * deadline (then cuts them), spools and ships their events, and releases everything.
   */
  close(): Promise<void>;
}

function retryPacing(maxMs: number): BackoffOptions {
  return { baseMs: Math.min(DEFAULT_BACKOFF.baseMs, maxMs), maxMs };
}

/** Starts a data-plane node: config first (last known good from disk, then the source), then the listener. */
export async function startDataPlane(config: DataPlaneConfig, options: StartDataPlaneOptions = {}): Promise<DataPlane> {
  const log = options.logger ?? createLogger(config.logLevel);
  const server = uwsImplementation();
  if (server === 'native') log.info('uWebSockets.js native binding loaded');
  else log.warn('uWebSockets.js native binding did not load; serving with the slow pure-JS fallback');

  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const kms = options.kms ?? (await createKms(config.kms, { gcpEndpoint: config.gcpKmsEndpoint ?? undefined, gcpTimeoutMs: config.kmsTimeoutMs }));
  const controlPlaneAgent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  // Every call to the control plane (events, approvals, heartbeats, spend) goes through this one client.
  const endpoints = new ControlPlaneEndpoints(config.controlPlaneUrls, log);
  const controlPlane = new ControlPlaneClient({
    endpoints,
    nodeToken: config.nodeToken,
    dispatcher: controlPlaneAgent,
    onClockCorrected: ({ stepMs }) => log.warn({ stepMs }, "this node's time differed from the control plane's; enforcing on the control plane's time"),
  });
  const upstream = createGuardedAgent({
    allowLoopback: config.allowLoopbackUpstreams,
    connect: { timeout: config.upstreamConnectTimeoutMs },
    keepAliveTimeout: 30_000,
    headersTimeout: config.upstreamFirstByteTimeoutMs,
    bodyTimeout: config.upstreamIdleTimeoutMs,
  });
  const secrets = new CredentialSecrets(kms, config.credentialCacheTtlMs);
  const tracing = await startTracing(config, log);

  let shipper: EventShipper | null = null;
  const spool = await EventSpool.open({
    dir: join(config.stateDir, 'spool'),
    logger: log,
    syncIntervalMs: config.spoolSyncIntervalMs,
    segmentBytes: config.spoolSegmentBytes,
    onDurable: () => shipper?.notify(),
  });
  const configSource =
    options.configSource ??
    createGraphqlConfigSource({
      endpoints,
      nodeId: config.nodeId,
      nodeToken: config.nodeToken,
      logger: log,
      backoff: retryPacing(config.configRetryMaxMs),
    });
  // Policies are compiled when a config arrives, so no request pays for it.
  const policySets = new PolicySets(log);
  const onChange = (view: ConfigView, _origin: ConfigOrigin, update: ViewUpdate | null) => {
    secrets.prune();
    policySets.prepare(view, update);
  };
  const sync = new ConfigSync({ stateDir: config.stateDir, source: configSource, logger: log, onChange });
  const approvals = await ApprovalClient.open({
    client: controlPlane,
    nodeId: config.nodeId,
    nodeToken: config.nodeToken,
    stateDir: config.stateDir,
    logger: log,
    backoff: retryPacing(config.eventRetryMaxMs),
  });
  // Every kind of hold (policy rules, budgets, keys held after an anomaly) waits for a person the same way.
  const holdDeps = { approvals, nodeId: config.nodeId, keepAliveMs: config.holdKeepAliveMs, unstreamedMaxSeconds: config.unstreamedHoldSeconds };
  const policyStep = createPolicyStep({ sets: policySets, view: () => sync.view, ...holdDeps, hashSecret: config.keyPepper });
  const health = new TargetHealthBoard();
  const metrics = createMetrics({
    configVersion: () => sync.view?.version ?? null,
    eventBacklog: () => spool.backlog + leftovers.backlog,
    targets: () => targetSamples(health),
  });
  const circuits = config.redisUrl === null ? null : shareCircuits(health, config.redisUrl, config.nodeId, log);
  const responseCache = createResponseStore(config.redisUrl, config.responseCacheMaxBytes, log);
  const sessionTable = options.sessionTable ?? new MemorySessionTable();
  const tokenSessions = tokenSessionsFor(config, options, log);
  const shipperFor = (from: EventSpool) =>
    new EventShipper({
      spool: from,
      client: controlPlane,
      target: config.eventsUrl ?? '/v1/node/events',
      nodeId: config.nodeId,
      batchSize: config.eventBatchSize,
      flushIntervalMs: config.eventFlushIntervalMs,
      logger: log,
      backoff: retryPacing(config.eventRetryMaxMs),
      onAcknowledged: ({ sent }) => metrics.eventsShipped.inc(sent),
      onDeadLettered: (count) => metrics.eventsDeadLettered.inc(count),
    });
  shipper = shipperFor(spool);
  const leftovers = await LeftoverSpools.open(config.stateDir, config.workers, shipperFor, log);

  let draining = false;
  const appends = new Set<Promise<void>>();
  const emit = (event: UsageEvent) =>
    new Promise<void>((written) => {
      const appended = spool.append(event, written).catch((err: unknown) => {
        log.error({ requestId: event.requestId, reason: (err as Error).message }, 'could not spool a usage event');
        written();
      });
      appends.add(appended);
      void appended.finally(() => appends.delete(appended));
    });
  const tracker = new RequestTracker();
  const limiter = options.limiter ?? createNodeLimiter(config.redisUrl, log);
  const limits = createOrgLimitBook({ limiter, view: () => sync.view, logger: log });
  const limitsStep = createLimitsStep({
    limiter,
    limits,
    logger: log,
    // `hold` budgets wait for a person through the same approval protocol as policy holds.
    holdForApproval: createBudgetHold(holdDeps),
  });
  const anomaly = new AnomalyScorer();
  const gw: Gateway = {
    config,
    log,
    metrics,
    tracing,
    view: () => sync.view,
    secrets,
    mcpAuth: new McpUpstreamAuth(secrets, upstream, config.upstreamFirstByteTimeoutMs),
    mcpSessions: new AggregateSessions(sessionTable),
    limiter,
    limits,
    mcpPolicy: createMcpToolPolicy({
      sets: policySets,
      approvals,
      nodeId: config.nodeId,
      keepAliveMs: config.holdKeepAliveMs,
      unstreamedMaxSeconds: config.unstreamedHoldSeconds,
      hashSecret: config.keyPepper,
    }),
    upstream,
    // Provenance comes first: a request no human authorized reserves nothing. Then limits: a request
    // over budget is refused before any policy work is spent on it.
    // A key held after an anomaly waits for a person before anything else is spent on its request.
    enforcement: [
      createProvenanceStep({ sharedSessions: tokenSessions }),
      createAnomalyHoldStep(anomaly, holdDeps),
      limitsStep,
      ...(options.enforcement ?? []),
      policyStep,
    ],
    health,
    responseCache,
    emit,
    tracker,
    clientHasher: new ClientHasher(config.hashSalt),
    anomaly,
    draining: () => draining,
    spoolFailure: () => spool.failure,
  };
  const readiness = (): Readiness => ({
    ready: sync.view !== null && !draining && spool.failure === null,
    version: sync.view?.version ?? null,
    source: sync.origin,
    draining,
  });

  await sync.start();
  // Estimating tokens needs the tokenizers, which take a second or two to build and block the
  // event loop meanwhile: build them before the first request, not during one.
  const tokenizersStarted = performance.now();
  preloadTokenizers();
  log.debug({ ms: Math.round(performance.now() - tokenizersStarted) }, 'tokenizers loaded');
  const app = createApp(gw, readiness, options.metricsText ?? (() => metrics.registry.metrics()));
  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (socket) => {
      if (socket) resolve(socket);
      else reject(new Error(`could not listen on ${config.host}:${config.port}`));
    });
  });
  const port = uws.us_socket_local_port(listenSocket);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ port, host: config.host, nodeId: config.nodeId, version: SOFTWARE_VERSION, server }, 'data plane listening');

  const heartbeat: Heartbeat | null =
    options.heartbeat === false
      ? null
      : startHeartbeat({
          client: controlPlane,
          nodeId: config.nodeId,
          intervalMs: config.heartbeatIntervalMs,
          logger: log,
          softwareVersion: SOFTWARE_VERSION,
          state: () => ({ configVersion: sync.view?.version ?? null, eventBacklog: spool.backlog, openCircuits: openCircuits(health) }),
        });
  const reconciler: SpendReconciler | null =
    options.spendReconcile === false || config.spendReconcileIntervalMs === 0
      ? null
      : startSpendReconciler({
          client: controlPlane,
          intervalMs: config.spendReconcileIntervalMs,
          limiter,
          logger: log,
        });
  shipper.notify();

  let closing: Promise<void> | null = null;
  const flushAppends = async () => {
    while (appends.size > 0) await Promise.all(appends);
  };

  async function shutdown(): Promise<void> {
    draining = true;
    approvals.beginShutdown();
    uws.us_listen_socket_close(listenSocket);
    log.info({ open: tracker.size, deadlineMs: config.drainTimeoutMs }, 'draining');
    if (!(await tracker.idle(config.drainTimeoutMs))) {
      log.warn({ open: tracker.size }, 'drain deadline passed; cutting the remaining requests');
      tracker.destroyAll();
      await tracker.idle(1_000);
    }
    heartbeat?.stop();
    // Outcomes of requests the drain cut; what cannot be delivered now is reported at the next start.
    await approvals.close(2_000);
    reconciler?.stop();
    await configSource.close();
    // Handlers finish their records just after their response ends; give them that turn.
    await new Promise((resolve) => setImmediate(resolve));
    // Events held after a failed spool write get a last attempt; what still fails is logged as lost.
    await spool.giveUpHeld();
    await flushAppends();
    const shipped = await shipper!.drain(options.eventFlushTimeoutMs ?? 5_000);
    if (!shipped) log.warn({ backlog: spool.backlog }, 'events left in the spool for the next start');
    await shipper!.close();
    await spool.close();
    await leftovers.close(options.eventFlushTimeoutMs ?? 5_000);
    await sync.flush();
    (app as unknown as { close(): void }).close();
    secrets.clear();
    await Promise.allSettled([
      upstream.close(),
      controlPlaneAgent.close(),
      kms.close?.(),
      circuits?.close(),
      responseCache.close(),
      tokenSessions?.close(),
      options.limiter ? undefined : limiter.close(),
    ]);
    // Spans still queued get one try; a collector that is down or slow does not hold the stop up.
    await tracing?.shutdown(2_000);
    log.info('data plane stopped');
  }

  return {
    url,
    port,
    nodeId: config.nodeId,
    server,
    ready: () => sync.whenReady(),
    readiness,
    eventBacklog: () => spool.backlog + leftovers.backlog,
    metricsJson: () => metrics.registry.getMetricsAsJSON(),
    async flushEvents(timeoutMs = 5_000) {
      await flushAppends();
      return shipper!.drain(timeoutMs);
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
