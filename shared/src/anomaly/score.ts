/**
 * The anomaly score of one request: 0–100, with the reasons that raised it.
 *
 * Every signal is turned into a surprise, the number of decades of improbability of what was
 * seen under the baseline (a surprise of 3 is a one-in-a-thousand event): Poisson tails for
 * request and spend rates over the last 10, 30 and 60 seconds, binomial tails for error and
 * block rates, normal tails for prompt and completion sizes on a log scale, and Good–Turing
 * novelty for models, endpoints, tools, clients, user agents and active hours. Surprises of
 * separate signals add up (independent evidence multiplies), and the total maps to the score
 * by `100 · (1 − e^(−surprise / SCALE))`: signals that are merely unusual stay low, two strong
 * ones together or one overwhelming one cross the default threshold of 80.
 *
 * Rates are judged against an upper bound of usual activity (median plus three MAD-sigmas, at
 * least `MIN_REQUESTS_PER_MINUTE`), not the median itself: agents work in bursts, and a burst
 * their baseline has seen before is not news.
 */
import type { WindowTotals, ActivityWindow } from './activity-window.js';
import { hourOfWeek, hourOfWeekLabel, sizeScale, type AnomalyBaseline, type DecayedShare, type RequestFacts } from './baseline.js';
import { isTrusted, newness, noveltyChance, type NoveltySet } from './novelty.js';
import { MAD_TO_SIGMA, type RobustStat } from './robust-stat.js';

/** Why a request scored what it did; `code` is what policies match on. */
export const ANOMALY_REASON_CODES = [
  'request_rate',
  'spend_rate',
  'error_rate',
  'block_rate',
  'prompt_size',
  'completion_size',
  'new_client',
  'new_user_agent',
  'new_model',
  'new_endpoint',
  'new_tool',
  'unusual_hour',
] as const;

export type AnomalyReasonCode = (typeof ANOMALY_REASON_CODES)[number];

export interface AnomalyReason {
  readonly code: AnomalyReasonCode;
  readonly message: string;
}

export interface AnomalyScore {
  /** 0–100. */
  readonly score: number;
  /** The signals that contributed, strongest first. */
  readonly reasons: readonly AnomalyReason[];
}

/** The baselines a request is judged against: its key's, and its organization's typical key's as the prior. */
export interface AnomalyBaselines {
  readonly key: AnomalyBaseline | undefined;
  readonly organization: AnomalyBaseline | undefined;
}

/** The score at and above which a request is anomalous unless an organization sets otherwise. */
export const DEFAULT_ANOMALY_THRESHOLD = 80;

/** Surprise (decades) that maps to a score of 63; 80 is reached at 1.6 times it (about one in 10¹⁰). */
const SCALE = 6.1;
/** Signals weaker than this are noise: they neither add to the score nor give a reason. */
const MIN_SURPRISE = 1;
const RATE_WINDOWS_MS = [10_000, 30_000, 60_000] as const;
/** Minutes of learning before a rate baseline is used. */
const MIN_RATE_SAMPLES = 20;
const MIN_SIZE_SAMPLES = 30;
const MIN_NOVELTY_OBSERVATIONS = 20;
/** The least "usual" upper rate: a few calls in a minute are never a runaway. */
const MIN_REQUESTS_PER_MINUTE = 3;
const MIN_REQUESTS_FOR_SPEND = 5;
/**
 * An organization's usual rate per key stands in for a new key's, but keys differ widely (a batch
 * job and a chat assistant), so a new key is allowed this many times the organization's usual upper rate.
 */
const ORGANIZATION_PRIOR_SLACK = 4;
/** A value the organization already uses is this much less surprising on one of its keys. */
const KNOWN_IN_ORGANIZATION = 0.4;
/** Share of the organization's own novelty surprise added when it has never seen the value either. */
const NEW_TO_ORGANIZATION = 0.75;
const LN10 = Math.log(10);
/**
 * Tool names that move money, delete, execute or grant: a new one of these is worth more than
 * any other new tool (three times the surprise), as what it can do cannot be undone by a refund.
 */
const RISKY_TOOL = /transfer|payment|pay_|wire|refund|withdraw|delete|drop|destroy|truncate|exec|shell|sudo|grant|admin|permission|deploy/i;
const RISKY_TOOL_WEIGHT = 3;
const KEY_ONLY = { keyOnly: true };
/** Active minutes learned before a first activity in an hour of the week means anything. */
const MIN_HOUR_OBSERVATIONS = 300;
/** A new version of a user agent the key already uses is an update, much less surprising than a new program. */
const UPDATED_CLIENT = 0.3;

const NO_REASONS: readonly AnomalyReason[] = Object.freeze([]);
const scratch: WindowTotals = { requests: 0, costMicros: 0, failed: 0, blocked: 0 };

interface Signal {
  /** Signals of one family are not independent evidence. */
  family: string;
  surprise: number;
  reason: AnomalyReason;
}

/**
 * Scores `request`, already recorded in `window` (the key's local counters), against
 * `baselines`. Without a baseline that has learned enough, a signal is left out rather than
 * guessed: a new key with no organization prior scores 0 until it has a history.
 */
export function scoreRequest(request: RequestFacts, window: ActivityWindow, baselines: AnomalyBaselines): AnomalyScore {
  const signals: Signal[] = [];
  const add: AddSignal = (family, surprise, reason) => {
    if (surprise >= MIN_SURPRISE) signals.push({ family, surprise, reason: reason() });
  };
  rateSignals(request.at, window, baselines, add);
  shareSignals(request.at, window, baselines, add);
  sizeSignals(request, baselines, add);
  noveltySignals(request, baselines, add);
  if (signals.length === 0) return { score: 0, reasons: NO_REASONS };
  signals.sort((a, b) => b.surprise - a.surprise);
  // Signals of one family share a cause (a burst raises requests and spend at once), so only the strongest counts.
  const counted = new Set<string>();
  let total = 0;
  for (const signal of signals) {
    if (counted.has(signal.family)) continue;
    counted.add(signal.family);
    total += signal.surprise;
  }
  return { score: Math.round(100 * (1 - Math.exp(-total / SCALE))), reasons: signals.map((s) => s.reason) };
}

type AddSignal = (family: string, surprise: number, reason: () => AnomalyReason) => void;

interface Reference {
  readonly stat: RobustStat;
  /** The most that is still usual per minute: the median plus three MAD-sigmas, or the usual peak scaled to this hour. */
  readonly upper: number;
  /** "the key's usual rate for Tuesday 10:00" */
  readonly usual: string;
}

type RateStats = (b: AnomalyBaseline) => readonly [hourly: RobustStat, overall: RobustStat, peak: RobustStat];

function rateReference(baselines: AnomalyBaselines, pick: RateStats, hour: number): Reference | undefined {
  const candidates: [AnomalyBaseline | undefined, string][] = [
    [baselines.key, "the key's usual rate"],
    [baselines.organization, "the organization's usual rate per key"],
  ];
  for (const [baseline, owner] of candidates) {
    if (baseline === undefined) continue;
    const [hourly, overall, peak] = pick(baseline);
    const peakRatio = overall.m > 0 ? peak.m / overall.m : 1;
    const slack = baseline === baselines.key ? 1 : ORGANIZATION_PRIOR_SLACK;
    if (hourly.n >= MIN_RATE_SAMPLES) {
      return { stat: hourly, upper: slack * Math.max(upperBound(hourly), hourly.m * peakRatio), usual: `${owner} for ${hourOfWeekLabel(hour)}` };
    }
    if (overall.n >= MIN_RATE_SAMPLES * 3) return { stat: overall, upper: slack * Math.max(upperBound(overall), peak.m), usual: owner };
  }
  return undefined;
}

function rateSignals(at: number, window: ActivityWindow, baselines: AnomalyBaselines, add: AddSignal): void {
  const hour = hourOfWeek(at);
  const requests = rateReference(baselines, (b) => [b.requestsPerMinute[hour]!, b.requestsPerMinuteOverall, b.requestsPerMinutePeak], hour);
  if (requests === undefined) return;
  const spend = rateReference(baselines, (b) => [b.spendPerMinute[hour]!, b.spendPerMinuteOverall, b.spendPerMinutePeak], hour);
  const usualRequests = Math.max(requests.stat.m, 1);
  const upperRequests = Math.max(requests.upper, MIN_REQUESTS_PER_MINUTE);
  // Spend is counted in lumps of one typical request's price, so the same Poisson tail applies.
  const unit = spend === undefined ? 0 : spendLump(baselines, spend.stat.m / usualRequests);
  let bestRequests = { surprise: 0, perMinute: 0 };
  let bestSpend = { surprise: 0, perMinute: 0 };
  for (const ms of RATE_WINDOWS_MS) {
    const totals = window.totals(at, ms, scratch);
    const minutes = ms / 60_000;
    const requestSurprise = poissonSurprise(totals.requests, upperRequests * minutes);
    if (requestSurprise > bestRequests.surprise) bestRequests = { surprise: requestSurprise, perMinute: totals.requests / minutes };
    // One costly request is judged by its size; spend rates need several requests to mean a rate.
    if (spend !== undefined && totals.requests >= MIN_REQUESTS_FOR_SPEND) {
      const upperSpend = Math.max(spend.upper, unit * MIN_REQUESTS_PER_MINUTE);
      const spendSurprise = poissonSurprise(totals.costMicros / unit, (upperSpend * minutes) / unit);
      if (spendSurprise > bestSpend.surprise) bestSpend = { surprise: spendSurprise, perMinute: totals.costMicros / minutes };
    }
  }
  add('volume', bestRequests.surprise, () => ({
    code: 'request_rate',
    message: `requests ${times(bestRequests.perMinute / usualRequests)} ${requests.usual} (${Math.round(bestRequests.perMinute)}/min)`,
  }));
  if (spend !== undefined)
    add('volume', bestSpend.surprise, () => ({
      code: 'spend_rate',
      message: `spend ${times(bestSpend.perMinute / Math.max(spend.stat.m, 1))} ${spend.usual}`,
    }));
}

function shareSignals(at: number, window: ActivityWindow, baselines: AnomalyBaselines, add: AddSignal): void {
  const totals = window.totals(at, 60_000, scratch);
  const baseline = baselines.key ?? baselines.organization;
  if (baseline === undefined) return;
  const failed = totals.failed;
  const blocked = totals.blocked;
  const requests = totals.requests;
  const share = (name: string, count: number, usual: DecayedShare, code: 'error_rate' | 'block_rate') => {
    const expected = Math.max((usual.events + 0.5) / (usual.total + 10), 0.01);
    add('outcome', count >= 3 ? binomialSurprise(count, requests, expected) : 0, () => ({
      code,
      message: `${count} of ${requests} requests ${name} in the last minute (usually ${percent(expected)})`,
    }));
  };
  share('failed', failed, baseline.errors, 'error_rate');
  share('blocked', blocked, baseline.blocks, 'block_rate');
}

function sizeSignals(request: RequestFacts, baselines: AnomalyBaselines, add: AddSignal): void {
  const size = (tokens: number, pick: (b: AnomalyBaseline) => RobustStat, code: 'prompt_size' | 'completion_size', what: string) => {
    const [stat, owner] = learned(baselines, pick, MIN_SIZE_SAMPLES);
    if (stat === undefined) return;
    const scale = sizeScale(tokens);
    const z = (scale - stat.m) / Math.max(MAD_TO_SIGMA * stat.s, 0.5);
    add('volume', normalSurprise(z), () => ({ code, message: `${what} of ${tokens} tokens, ${times(2 ** (scale - stat.m))} ${owner} usual size` }));
  };
  if (request.blocked) return;
  size(request.promptTokens, (b) => b.promptTokens, 'prompt_size', 'prompt');
  if (!request.failed) size(request.completionTokens, (b) => b.completionTokens, 'completion_size', 'completion');
}

function learned(baselines: AnomalyBaselines, pick: (b: AnomalyBaseline) => RobustStat, min: number): [RobustStat | undefined, string] {
  if (baselines.key !== undefined && pick(baselines.key).n >= min) return [pick(baselines.key), "the key's"];
  if (baselines.organization !== undefined && pick(baselines.organization).n >= min) return [pick(baselines.organization), "the organization's"];
  return [undefined, ''];
}

function noveltySignals(request: RequestFacts, baselines: AnomalyBaselines, add: AddSignal): void {
  /**
   * Adds the signal of a value not trusted yet; false when it is trusted or not enough has been
   * learned. `keyOnly` values (where the key is called from, and when) are never judged by the
   * organization's: a new key is expected to come from a new deployment.
   */
  const novel = (
    family: string,
    value: string,
    pick: (b: AnomalyBaseline) => NoveltySet,
    reason: (owner: string) => AnomalyReason,
    scale = 1,
    { keyOnly = false, minObservations = MIN_NOVELTY_OBSERVATIONS } = {},
  ): boolean => {
    const key = baselines.key === undefined ? undefined : pick(baselines.key);
    const organization = baselines.organization === undefined ? undefined : pick(baselines.organization);
    const set = key !== undefined && key.observations >= minObservations ? key : keyOnly ? undefined : organization;
    if (set === undefined || set.observations < minObservations) return false;
    const fresh = newness(set, value, request.at);
    if (fresh === 0) return false;
    // A value the organization already uses is less surprising; one it has never seen either, more.
    const knownToOrganization = organization !== undefined && organization.observations >= MIN_NOVELTY_OBSERVATIONS;
    const weight =
      set !== key || !knownToOrganization
        ? 1
        : isTrusted(organization, value, request.at)
          ? KNOWN_IN_ORGANIZATION
          : 1 + (NEW_TO_ORGANIZATION * -Math.log10(noveltyChance(organization))) / -Math.log10(noveltyChance(set));
    add(family, -Math.log10(noveltyChance(set)) * weight * scale * fresh, () => reason(set === key ? 'this key' : 'this organization'));
    return true;
  };
  novel(
    'client',
    request.clientIpHash,
    (b) => b.clients,
    () => ({ code: 'new_client', message: 'first call from a new client' }),
    1,
    KEY_ONLY,
  );
  const familyIsNew = novel(
    'user agent',
    request.userAgentFamilyHash,
    (b) => b.userAgentFamilies,
    () => ({ code: 'new_user_agent', message: 'first call from a new kind of client (user agent)' }),
    1,
    KEY_ONLY,
  );
  if (!familyIsNew) {
    const reason = (): AnomalyReason => ({ code: 'new_user_agent', message: 'first call with a new version of a known user agent' });
    novel('user agent', request.userAgentHash, (b) => b.userAgents, reason, UPDATED_CLIENT, KEY_ONLY);
  }
  if (request.model !== null) {
    const model = request.model;
    novel(
      'model',
      model,
      (b) => b.models,
      (owner) => ({ code: 'new_model', message: `model \`${model}\` never seen for ${owner}` }),
    );
  }
  novel(
    'endpoint',
    request.endpoint,
    (b) => b.endpoints,
    (owner) => ({ code: 'new_endpoint', message: `endpoint \`${request.endpoint}\` never seen for ${owner}` }),
  );
  for (const tool of request.tools) {
    const risky = RISKY_TOOL.test(tool);
    const reason = (owner: string): AnomalyReason => ({ code: 'new_tool', message: `tool \`${tool}\` never seen for ${owner}` });
    novel(risky ? 'risky tool' : 'tool', tool, (b) => b.tools, reason, risky ? RISKY_TOOL_WEIGHT : 1);
  }
  const hour = hourOfWeek(request.at);
  novel(
    'hour',
    String(hour),
    (b) => b.activeHours,
    () => ({ code: 'unusual_hour', message: `first activity on ${hourOfWeekLabel(hour)} for this key` }),
    1,
    {
      keyOnly: true,
      minObservations: MIN_HOUR_OBSERVATIONS,
    },
  );
}

/**
 * The lump spend arrives in: for log-normal request prices, E[X²]/E[X] = median · e^(1.5σ²), the
 * size a compound Poisson sum of such prices behaves like a plain Poisson count of.
 */
function spendLump(baselines: AnomalyBaselines, fallback: number): number {
  const [cost] = learned(baselines, (b) => b.requestCost, MIN_SIZE_SAMPLES);
  if (cost === undefined) return Math.max(fallback, 1);
  const sigma = MAD_TO_SIGMA * cost.s * Math.LN2;
  return Math.max(2 ** cost.m * Math.exp(1.5 * sigma * sigma), 1);
}

function upperBound(stat: RobustStat): number {
  return stat.m + 3 * MAD_TO_SIGMA * stat.s;
}

/** Decades of improbability of at least `k` events where `lambda` are expected (Chernoff bound). */
function poissonSurprise(k: number, lambda: number): number {
  if (k <= lambda || lambda <= 0) return 0;
  return (k * Math.log(k / lambda) - k + lambda) / LN10;
}

/** Decades of improbability of at least `k` of `n` where a share `p` is expected (Chernoff bound). */
function binomialSurprise(k: number, n: number, p: number): number {
  const q = k / n;
  if (q <= p) return 0;
  // (1 - q) ln((1 - q) / (1 - p)) tends to 0 as q reaches 1.
  const kl = q * Math.log(q / p) + (q < 1 ? (1 - q) * Math.log((1 - q) / (1 - p)) : 0);
  return (n * kl) / LN10;
}

/** Decades of improbability of a standard normal at least `z` (asymptotic tail). */
function normalSurprise(z: number): number {
  if (z <= 2) return 0;
  return (z * z) / 2 / LN10 + Math.log10(z * Math.sqrt(2 * Math.PI));
}

function times(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
