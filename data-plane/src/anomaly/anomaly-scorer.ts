import { ActivityWindow, requestOutcome, scoreRequest, type AnomalyScore, type KeyConfig, type OrgConfig, type RequestFacts } from '@keyward/shared';

/** Requests between sweeps of windows idle for a minute. */
const SWEEP_EVERY = 4096;

/** What a finished request contributes to its key's anomaly score. */
export interface ScoredRequest {
  readonly key: KeyConfig;
  readonly org: OrgConfig;
  readonly at: number;
  readonly model: string | null;
  readonly endpoint: string;
  readonly toolsOffered: readonly string[];
  readonly clientIpHash: string;
  readonly userAgentHash: string;
  readonly userAgentFamilyHash: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costMicros: number;
  readonly status: number;
  readonly decision: string;
}

/**
 * Scores each finished request on the node that served it: the key's last minute of local
 * counters against the baselines the control plane pushed with the key and its organization.
 * One fixed-size window per active key; windows idle for a minute are dropped now and then.
 */
export class AnomalyScorer {
  private readonly windows = new Map<string, ActivityWindow>();
  private sinceSweep = 0;

  score(request: ScoredRequest): AnomalyScore {
    let window = this.windows.get(request.key.id);
    if (window === undefined) {
      window = new ActivityWindow();
      this.windows.set(request.key.id, window);
    }
    const { failed, blocked } = requestOutcome(request.status, request.decision);
    window.record(request.at, request.costMicros, failed, blocked);
    const facts: RequestFacts = {
      at: request.at,
      model: request.model,
      endpoint: request.endpoint,
      tools: request.toolsOffered,
      clientIpHash: request.clientIpHash,
      userAgentHash: request.userAgentHash,
      userAgentFamilyHash: request.userAgentFamilyHash,
      promptTokens: request.inputTokens,
      completionTokens: request.outputTokens,
      costMicros: request.costMicros,
      failed,
      blocked,
    };
    const score = scoreRequest(facts, window, {
      key: request.key.anomalyBaseline ?? undefined,
      organization: request.org.anomalyBaseline ?? undefined,
    });
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(request.at);
    return score;
  }

  private sweep(at: number): void {
    this.sinceSweep = 0;
    for (const [keyId, window] of this.windows) if (window.idleAt(at)) this.windows.delete(keyId);
  }
}
