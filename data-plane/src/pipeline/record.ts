import {
  uuidv7,
  type AttemptRecord,
  type CapturedContent,
  type CredentialConfig,
  type Decision,
  type EventApi,
  type KeyConfig,
  type OrgConfig,
  type UsageEvent,
} from '@keyward/shared';
import type { ActedScore } from '../anomaly/anomaly-scorer.js';
import type { RequestTrace } from '../observability/tracing.js';
import type { TokenUsage } from '../providers/types.js';
import type { RequestMeta } from './request-meta.js';
import type { PolicyTrail, ProvenanceTrail } from '../steps/contract.js';
import { fleetNow } from '../clock/fleet-clock.js';

/**
 * Everything learnt about one request while it runs, turned into its `UsageEvent` at the end.
 * Mutable on purpose: each pipeline step fills in what it found out.
 */
export class RequestRecord {
  readonly requestId = uuidv7();
  readonly startedAt = fleetNow();
  private readonly startedMono = performance.now();
  key: KeyConfig | null = null;
  org: OrgConfig | null = null;
  credential: CredentialConfig | null = null;
  model: string | null = null;
  stream = false;
  status = 0;
  decision: Decision = 'allowed';
  errorCode: string | null = null;
  ttftMs: number | null = null;
  usage: TokenUsage | null = null;
  /** Counts a provider reported before its answer was cut short: a floor for the estimate. */
  partialUsage: TokenUsage | null = null;
  costMicros = 0;
  readonly tags: string[] = [];
  /** The route that chose the targets, when one applied. */
  routeId: string | null = null;
  /** Every upstream attempt, in order. */
  readonly attempts: AttemptRecord[] = [];
  readonly policy: PolicyTrail = { matches: [], approvalId: null };
  readonly provenance: ProvenanceTrail = { result: 'unchecked', token: null };
  content: CapturedContent | null = null;
  /** The request's spans, when tracing is on. */
  trace: RequestTrace | null = null;
  /** The W3C trace id: the spans', or without tracing the one in the agent's `traceparent`. */
  traceId: string | null = null;
  /** Answered from the response cache: no provider was called, and it costs nothing. */
  cacheHit = false;
  /** Names of the tools the request offered the model. */
  toolsOffered: readonly string[] = [];
  /** Its anomaly score, once finished (null when no key was identified). */
  anomaly: ActedScore | null = null;
  /** The MCP server and tool of a tool call, and the size of its result. */
  mcpServer: string | null = null;
  mcpTool: string | null = null;
  resultBytes: number | null = null;
  /** The request's `x-keyward-meta-*` headers. */
  meta: RequestMeta = { entries: [], dropped: 0 };

  constructor(
    readonly api: EventApi,
    public endpoint: string,
    readonly clientIpHash: string,
    readonly userAgentHash: string,
    readonly userAgentFamilyHash: string,
  ) {}

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return Math.round((performance.now() - this.startedMono) * 1000) / 1000;
  }

  /** Notes the first byte of the upstream body (time to first token). */
  markFirstByte(): void {
    if (this.ttftMs === null) this.ttftMs = this.elapsedMs();
  }

  /** Milliseconds spent on attempts that did not answer (connect errors, timeouts, retried failures). */
  private failedAttemptsMs = 0;
  /** When the current attempt was sent, and when the answer's body ended (ms since arrival). */
  private attemptSentAt: number | null = null;
  private answerEndedAt: number | null = null;

  /** Notes that an attempt was sent upstream. */
  markAttemptSent(): void {
    this.attemptSentAt = this.elapsedMs();
  }

  /** Notes that the attempt sent last failed without an answer to relay. */
  markAttemptFailed(): void {
    if (this.attemptSentAt === null) return;
    this.failedAttemptsMs += this.elapsedMs() - this.attemptSentAt;
    this.attemptSentAt = null;
  }

  /** Notes the end of the answering provider's body (or of the relay, when it stopped early). */
  markAnswerEnded(): void {
    if (this.answerEndedAt === null) this.answerEndedAt = this.elapsedMs();
  }

  /** Where the time went: Keyward's own, the answering provider's time to first byte, and streaming. */
  private latencyBreakdown(latencyMs: number): Pick<UsageEvent, 'gatewayMs' | 'upstreamTtfbMs' | 'streamMs'> {
    const sent = this.attemptSentAt;
    // The cache answers without a provider: its first byte is Keyward's own.
    const firstByte = this.cacheHit ? null : this.ttftMs;
    const ended = this.answerEndedAt ?? firstByte;
    const upstreamTtfbMs = sent !== null && firstByte !== null ? Math.max(0, Math.round(firstByte - sent)) : null;
    const streamMs = firstByte !== null && ended !== null ? Math.max(0, Math.round(ended - firstByte)) : null;
    const waitedMs = this.failedAttemptsMs + (sent !== null ? (ended ?? this.elapsedMs()) - sent : 0);
    return { gatewayMs: Math.max(0, Math.round(latencyMs - waitedMs)), upstreamTtfbMs, streamMs };
  }

  /** Records a failure with its stable code; `decision` defaults to `error`. */
  fail(status: number, code: string, decision: Decision = 'error'): void {
    this.status = status;
    this.errorCode = code;
    this.decision = decision;
  }

  /** The event for this request, or null when no key could be identified (no org to charge it to). */
  toEvent(nodeId: string): UsageEvent | null {
    if (!this.key || !this.org) return null;
    const usage = this.usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
    const latencyMs = Math.round(this.elapsedMs());
    return {
      id: uuidv7(),
      orgId: this.org.id,
      keyId: this.key.id,
      keyPrefix: this.key.prefix,
      ownerLabel: this.key.ownerLabel,
      teamId: this.key.teamId,
      provider: this.credential?.provider ?? null,
      credentialId: this.credential?.id ?? null,
      api: this.api,
      endpoint: this.endpoint,
      model: this.model,
      stream: this.stream,
      status: this.status,
      decision: this.decision,
      errorCode: this.errorCode,
      startedAt: new Date(this.startedAt).toISOString(),
      latencyMs,
      ttftMs: this.ttftMs === null ? null : Math.round(this.ttftMs),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      costMicros: this.costMicros,
      clientIpHash: this.clientIpHash,
      userAgentHash: this.userAgentHash,
      requestId: this.requestId,
      nodeId,
      tags: [...this.tags],
      policyMatches: [...this.policy.matches],
      approvalId: this.policy.approvalId,
      routeId: this.routeId,
      attempts: [...this.attempts],
      content: this.content,
      traceId: this.traceId,
      cacheHit: this.cacheHit,
      userAgentFamilyHash: this.userAgentFamilyHash,
      toolsOffered: [...this.toolsOffered],
      anomalyScore: this.anomaly?.score ?? null,
      anomalyReasons: this.anomaly === null ? [] : [...this.anomaly.reasons],
      anomalyAction: this.anomaly?.action ?? null,
      mcpServer: this.mcpServer,
      mcpTool: this.mcpTool,
      resultBytes: this.resultBytes,
      ...provenanceFields(this.provenance),
      ...this.latencyBreakdown(latencyMs),
      meta: [...this.meta.entries],
      metaDropped: this.meta.dropped,
    };
  }
}

/** The event's HDP fields: what the provenance step found, and the principal and chain of a verified token. */
function provenanceFields(trail: ProvenanceTrail): Pick<UsageEvent, 'hdpResult' | 'hdpTokenId' | 'hdpPrincipalId' | 'hdpPrincipalType' | 'hdpChain'> {
  const token = trail.token;
  return {
    hdpResult: trail.result === 'unchecked' ? null : trail.result,
    hdpTokenId: token?.tokenId ?? null,
    hdpPrincipalId: token?.principal.id ?? null,
    hdpPrincipalType: token?.principal.idType ?? null,
    hdpChain: token ? token.chain.map((hop) => ({ agentId: hop.agentId, agentType: hop.agentType })) : [],
  };
}
