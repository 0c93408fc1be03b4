import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The data plane's Prometheus metrics, on a registry of its own (several nodes can run in one process in tests). */
export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'api' | 'endpoint' | 'status'>;
  readonly latency: Histogram<'api' | 'endpoint' | 'stream'>;
  readonly ttft: Histogram<'api' | 'endpoint'>;
  readonly activeStreams: Gauge;
  readonly upstreamErrors: Counter<'provider' | 'code'>;
  readonly backpressureWaits: Counter;
  readonly eventsShipped: Counter;
  readonly eventsDeadLettered: Counter;
  /** Upstream attempts per route target (`<credential id>/<model>`) by outcome: requests, and errors by class. */
  readonly targetAttempts: Counter<'target' | 'outcome'>;
  /** Time to a target's status line, for answered attempts. */
  readonly targetLatency: Histogram<'target'>;
  readonly targetTtft: Histogram<'target'>;
  /** Integer micro-dollars charged for answers a target gave. */
  readonly targetCost: Counter<'target'>;
  readonly responseCache: Counter<'outcome'>;
}

/** One route target as the metrics show it. */
export interface TargetSample {
  readonly id: string;
  /** 0 closed, 1 half-open, 2 open. */
  readonly circuit: number;
  readonly p50Seconds: number | null;
  readonly p95Seconds: number | null;
}

/** Gauges read at scrape time rather than kept in step by hand. */
export interface MetricsSources {
  configVersion(): number | null;
  eventBacklog(): number;
  /** Every route target this node has sent requests to. */
  targets(): Iterable<TargetSample>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Creates the registry with the request, upstream, config and event metrics plus Node's defaults. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keyward_dp_' });
  new Gauge({
    name: 'keyward_dp_config_version',
    // Across workers: the version every one of them serves.
    aggregator: 'min',
    help: 'Version of the config snapshot being served (-1 before any).',
    registers: [registry],
    collect() {
      this.set(sources.configVersion() ?? -1);
    },
  });
  new Gauge({
    name: 'keyward_dp_event_backlog',
    help: 'Usage events spooled and not yet acknowledged by the control plane.',
    registers: [registry],
    collect() {
      this.set(sources.eventBacklog());
    },
  });
  new Gauge({
    name: 'keyward_dp_target_circuit_state',
    // Across workers: the most open circuit.
    aggregator: 'max',
    help: 'Circuit breaker of each route target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      for (const t of sources.targets()) this.set({ target: t.id }, t.circuit);
    },
  });
  new Gauge({
    name: 'keyward_dp_target_latency_seconds',
    // Across workers: the mean of their quantiles.
    aggregator: 'average',
    help: 'Observed time to the status line of each route target over the last five minutes, as quantiles (the lowest-latency strategy uses the median).',
    labelNames: ['target', 'quantile'],
    registers: [registry],
    collect() {
      for (const t of sources.targets()) {
        if (t.p50Seconds !== null) this.set({ target: t.id, quantile: '0.5' }, t.p50Seconds);
        if (t.p95Seconds !== null) this.set({ target: t.id, quantile: '0.95' }, t.p95Seconds);
      }
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'keyward_dp_requests_total',
      help: 'Requests answered, by API family, endpoint and HTTP status.',
      labelNames: ['api', 'endpoint', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'keyward_dp_request_duration_seconds',
      help: 'Time from request arrival to the end of the response.',
      labelNames: ['api', 'endpoint', 'stream'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    ttft: new Histogram({
      name: 'keyward_dp_time_to_first_token_seconds',
      help: 'Time from request arrival to the first byte of the provider response body.',
      labelNames: ['api', 'endpoint'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    activeStreams: new Gauge({
      name: 'keyward_dp_active_streams',
      help: 'Streaming responses currently open.',
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'keyward_dp_upstream_errors_total',
      help: 'Failed upstream calls, by provider and stable error code.',
      labelNames: ['provider', 'code'],
      registers: [registry],
    }),
    backpressureWaits: new Counter({
      name: 'keyward_dp_client_backpressure_waits_total',
      help: 'Times a response paused reading from the provider until a slow client caught up.',
      registers: [registry],
    }),
    eventsShipped: new Counter({
      name: 'keyward_dp_events_shipped_total',
      help: 'Usage events acknowledged by the control plane.',
      registers: [registry],
    }),
    eventsDeadLettered: new Counter({
      name: 'keyward_dp_events_dead_lettered_total',
      help: 'Usage events the control plane refused as invalid, set aside in the dead-letter file.',
      registers: [registry],
    }),
    targetAttempts: new Counter({
      name: 'keyward_dp_target_attempts_total',
      help: 'Upstream attempts per route target (credential id/model) by outcome (answered, connect_error, timeout, rate_limited, server_error, …).',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
    targetLatency: new Histogram({
      name: 'keyward_dp_target_response_seconds',
      help: 'Time from sending an attempt to the target’s status line, for answered attempts.',
      labelNames: ['target'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    targetTtft: new Histogram({
      name: 'keyward_dp_target_time_to_first_token_seconds',
      help: 'Time to the first byte of the answer, per answering route target.',
      labelNames: ['target'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    responseCache: new Counter({
      name: 'keyward_dp_response_cache_total',
      help: 'Requests the response cache applied to, by outcome: hit (answered from the cache), miss, bypass (the agent or a policy opted out), stored (an answer kept).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    targetCost: new Counter({
      name: 'keyward_dp_target_cost_micros_total',
      help: 'Integer micro-dollars charged for answers per route target.',
      labelNames: ['target'],
      registers: [registry],
    }),
  };
}
