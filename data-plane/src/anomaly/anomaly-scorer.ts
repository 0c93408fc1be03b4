import {
  ActivityWindow,
  DEFAULT_ANOMALY_THRESHOLD,
  requestOutcome,
  scoreRequest,
  type AnomalyAction,
  type AnomalyBaselines,
  type AnomalyScore,
  type AnomalyStop,
  type KeyConfig,
  type OrgConfig,
  type RequestFacts,
} from '@keyward/shared';

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

/** A score and what it set off: null below the key's threshold. */
export interface ActedScore extends AnomalyScore {
  readonly action: AnomalyAction | null;
}

/** Why a key's requests stop here: frozen (refused), or held for a person's approval. */
export interface KeyStop extends AnomalyStop {
  readonly kind: 'frozen' | 'held';
}

interface KeyState {
  window: ActivityWindow;
  /** The key's `releasedAt` the window was started under: a person's release starts it afresh. */
  releasedAt: string | undefined;
  /** This node's own stop of the key, from an anomaly it scored, until the control plane's config carries it or a release. */
  stop: KeyStop | null;
}

/**
 * Scores each finished request on the node that served it: the key's last minute of local
 * counters against the baselines the control plane pushed with the key and its organization.
 * A score at or above the key's threshold sets off its `anomalyResponse` (record at 80 when it
 * has none); a freeze or a hold takes effect on this node at once, before the event reaches the
 * control plane, which then pushes it to every node. One fixed-size window per active key;
 * windows idle for a minute are dropped now and then (a key's own stop is kept).
 */
export class AnomalyScorer {
  private readonly keys = new Map<string, KeyState>();
  private sinceSweep = 0;

  score(request: ScoredRequest): ActedScore {
    const state = this.stateOf(request.key);
    const facts = factsOf(request);
    state.window.record(request.at, request.costMicros, facts.failed, facts.blocked);
    const score = scoreRequest(facts, state.window, baselinesOf(request));
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(request.at);
    const response = request.key.anomalyResponse ?? { action: 'record', threshold: DEFAULT_ANOMALY_THRESHOLD };
    if (score.score < response.threshold) return { ...score, action: null };
    // A key already stopped is not stopped again by the requests it is refused or held for.
    if (this.stopOf(request.key) === null && (response.action === 'freeze' || response.action === 'hold')) {
      const reason = score.reasons.map((r) => r.message).join('; ');
      state.stop = {
        kind: response.action === 'freeze' ? 'frozen' : 'held',
        at: new Date(request.at).toISOString(),
        reason: `anomaly score ${score.score}: ${reason}`,
      };
    }
    return { ...score, action: response.action };
  }

  /**
   * The score of a request as it arrives, for policies: the key's counters so far (this request
   * not yet among them) and what is known before the call (no answer, no cost yet). Records nothing.
   */
  preview(request: ScoredRequest): AnomalyScore {
    const window = this.keys.get(request.key.id)?.window ?? new ActivityWindow();
    return scoreRequest(factsOf(request), window, baselinesOf(request));
  }

  /**
   * Whether the key's requests stop here: frozen or held by the config (a stop every node
   * knows), else by this node's own stop from an anomaly it scored, unless a person released the
   * key since.
   */
  stopOf(key: KeyConfig): KeyStop | null {
    if (key.frozen) return { kind: 'frozen', ...key.frozen };
    if (key.held) return { kind: 'held', ...key.held };
    if (!this.keys.get(key.id)?.stop) return null;
    return this.stateOf(key).stop;
  }

  private stateOf(key: KeyConfig): KeyState {
    let state = this.keys.get(key.id);
    if (state === undefined) {
      state = { window: new ActivityWindow(), releasedAt: key.releasedAt, stop: null };
      this.keys.set(key.id, state);
    } else if (state.releasedAt !== key.releasedAt) {
      // A person reviewed the key: the activity that stopped it no longer counts against it.
      state.window = new ActivityWindow();
      state.releasedAt = key.releasedAt;
      if (state.stop !== null && key.releasedAt !== undefined && Date.parse(key.releasedAt) >= Date.parse(state.stop.at)) state.stop = null;
    }
    return state;
  }

  private sweep(at: number): void {
    this.sinceSweep = 0;
    for (const [keyId, state] of this.keys) if (state.stop === null && state.window.idleAt(at)) this.keys.delete(keyId);
  }
}

function factsOf(request: ScoredRequest): RequestFacts {
  return {
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
    ...requestOutcome(request.status, request.decision),
  };
}

function baselinesOf(request: ScoredRequest): AnomalyBaselines {
  return { key: request.key.anomalyBaseline ?? undefined, organization: request.org.anomalyBaseline ?? undefined };
}
