import type { UsageEvent } from '@keyward/shared';
import type { Dispatcher } from 'undici';
import type { AnomalyScorer } from '../anomaly/anomaly-scorer.js';
import type { DataPlaneConfig } from '../config.js';
import type { ClientHasher } from '../events/client-hash.js';
import type { ConfigView } from '../config/view.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { RequestTracker } from '../server/tracker.js';
import type { CredentialSecrets } from '../upstream/credential-secrets.js';
import type { EnforcementStep } from '../steps/contract.js';
import type { TargetHealthBoard } from '../routing/target-health.js';
import type { ResponseStore } from '../cache/store.js';
import type { McpUpstreamAuth } from '../mcp/upstream-auth.js';
import type { McpToolPolicy } from '../mcp/tool-policy.js';
import type { AggregateSessions } from '../mcp/aggregate.js';
import type { Limiter } from '../limits/index.js';
import type { OrgLimitBook } from '../limits/org-limits.js';

/** What request handlers need from the running node, built once at start. */
export interface Gateway {
  readonly config: DataPlaneConfig;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Request spans, when an OTLP endpoint is configured; null costs requests nothing. */
  readonly tracing: Tracing | null;
  /** The config being served, or null before any arrived. */
  view(): ConfigView | null;
  readonly secrets: CredentialSecrets;
  /** The headers that authenticate Keyward to MCP servers (OAuth access tokens kept here). */
  readonly mcpAuth: McpUpstreamAuth;
  /** The `tool_call` and `tool_result` rules of MCP tool calls, with their holds. */
  readonly mcpPolicy: McpToolPolicy;
  /** Agents' sessions of the aggregated `/mcp` endpoint, with Keyward's own sessions with each server. */
  readonly mcpSessions: AggregateSessions;
  /** Budgets and rate limits: MCP tool calls are admitted and settled here, model calls by the limits step. */
  readonly limiter: Limiter;
  /** Each organization's budgets and rate limits, seeded with their spend: what model and tool calls are admitted against. */
  readonly limits: OrgLimitBook;
  /** The guarded undici agent for provider calls (one keep-alive pool per origin). */
  readonly upstream: Dispatcher;
  readonly enforcement: readonly EnforcementStep[];
  /** Requests in flight, latencies and circuit breakers of every route target. */
  readonly health: TargetHealthBoard;
  /** Answers kept by the opt-in response cache. */
  readonly responseCache: ResponseStore;
  /** Spools one usage event; resolves once it is in the spool file (or could not be written, which is logged). */
  emit(event: UsageEvent): Promise<void>;
  readonly tracker: RequestTracker;
  /** Hashes client addresses and user agents for events, with the node's salt. */
  readonly clientHasher: ClientHasher;
  /** Each finished request's anomaly score, from its key's local counters and pushed baselines. */
  readonly anomaly: AnomalyScorer;
  /** True once shutdown began: new requests are turned away. */
  draining(): boolean;
  /** The error code (`ENOSPC`…) while the event spool cannot be written: new requests are turned away. */
  spoolFailure(): string | null;
}
