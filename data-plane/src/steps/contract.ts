/**
 * The contract between the pipeline and its enforcement steps (authentication, limits,
 * policies, approvals): what a step sees of a request, what it may answer, and how the request
 * ended. Steps import it from here and nothing from the pipeline, which owns the request's life.
 */
import type { AnomalyScore, ApiFamily, CredentialConfig, Decision, HdpToken, KeyConfig, OrgConfig, PolicyMatchRecord, ProvenanceReason } from '@keyward/shared';
import type { GatewayError } from '../errors.js';
import type { Operation, TokenUsage } from '../providers/types.js';
import type { AgentConnection } from './agent-connection.js';
import type { ResponseFilter } from './response-filter.js';

/** What an enforcement step sees of a request that passed the key and model checks. */
export interface EnforcementContext {
  readonly requestId: string;
  readonly org: OrgConfig;
  readonly key: KeyConfig;
  readonly api: ApiFamily;
  readonly endpoint: string;
  /** The endpoint's adapter: what policies read of the body, the answer's codec, the output cap. */
  readonly operation: Operation;
  readonly model: string;
  /**
   * The largest output cap a target of another API family will be asked for once the request is
   * translated (e.g. Anthropic's default `max_tokens`), or null: budgets reserve at least this.
   */
  readonly translatedOutputCap?: number | null;
  readonly stream: boolean;
  /** Candidate credentials, best first. */
  readonly candidates: readonly CredentialConfig[];
  /** The request body; a step may replace it (redaction), which makes the gateway re-serialize it. */
  body: Record<string, unknown>;
  /** Set by a step that changed the request (e.g. `redacted`); `allowed` otherwise. */
  decision: Decision;
  /** Tags recorded on the request's event. */
  readonly tags: string[];
  /** Adds a header to the agent's answer, success or refusal (e.g. `x-ratelimit-*`); ignored once the answer started. */
  setResponseHeader(name: string, value: string): void;
  /** The agent's request headers (lower-case names), copied before any await. */
  readonly headers: Readonly<Record<string, string>>;
  /** The agent's connection, for steps that keep it waiting (approvals) or must notice it leave. */
  readonly connection: AgentConnection;
  /** Filters steps install on a successful answer (restoring redacted values, inspecting tool calls), applied in order. */
  readonly responseFilters: ResponseFilter[];
  /** Policy matches and the approval the request waited on, recorded on its event. */
  readonly policy: PolicyTrail;
  /** The request's HDP delegation token as the provenance step found it, recorded on its event. */
  readonly provenance: ProvenanceTrail;
  /** The request's anomaly score as it arrives (for `anomaly` policy conditions); absent where nothing scores. */
  readonly anomalyPreview?: () => AnomalyScore;
}

/** A step's verdict before the request goes upstream. */
export type EnforcementVerdict = { readonly action: 'continue' } | { readonly action: 'deny'; readonly error: GatewayError; readonly decision: Decision };

/** How the request ended, for steps that settle what they reserved (budgets, concurrency). */
export interface EnforcementOutcome {
  readonly status: number;
  readonly usage: TokenUsage | null;
  readonly costMicros: number;
}

/**
 * One step of the enforcement chain that sits between the key check and the upstream call
 * (limits and budget reservation, request policies). Steps run in order; the first `deny`
 * answers the request. `after` runs once for every step whose `before` ran (the denying one
 * included), whatever happened next, so reservations are always settled or released.
 */
export interface EnforcementStep {
  readonly name: string;
  before(ctx: EnforcementContext): EnforcementVerdict | void | Promise<EnforcementVerdict | void>;
  after?(ctx: EnforcementContext, outcome: EnforcementOutcome): void | Promise<void>;
}

/** What policies and approvals did to a request; shared with enforcement steps, recorded on the event. */
export interface PolicyTrail {
  /** Every rule that matched (shadow ones included), once per rule and phase. */
  readonly matches: PolicyMatchRecord[];
  /** The approval the request (or its answer) waited on. */
  approvalId: string | null;
}

/**
 * What the provenance step found: no token (`absent`), a token proven and within scope (`valid`),
 * or the reason it was refused; `token` is set once the token verified, even when its scope then
 * refused the request.
 */
export interface ProvenanceTrail {
  result: 'unchecked' | 'absent' | 'valid' | ProvenanceReason;
  token: HdpToken | null;
}

/**
 * How a held request (or answer) goes on, from the one outcome table every hold uses (policy
 * rules and `hold` budgets alike): go on, with the decision and tag the event records, or stop
 * with the error the agent receives.
 */
export type HoldVerdict =
  | { readonly proceed: true; readonly decision: Decision | null; readonly tag: string | null }
  | { readonly proceed: false; readonly error: GatewayError; readonly decision: Decision };
