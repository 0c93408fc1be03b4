/**
 * What Keyward learns about a key's (or a team's, or an organization's typical key's) usual
 * behaviour, and how it learns it. A baseline is plain JSON: the control plane stores it in
 * PostgreSQL and pushes it in the config snapshot; nodes only read it.
 *
 * Rates (requests and spend per minute) are learned over the minutes the key is active, per
 * hour of the week (Monday 00:00 UTC is hour 0), so a key busy on Tuesday mornings and idle on
 * Sundays is judged against its own Tuesday mornings. Sizes are learned per request on a log
 * scale; error and block rates as decayed counts; the sets of values it uses as novelty sets.
 */
import { emptyNoveltySet, observeValue, type NoveltySet } from './novelty.js';
import { emptyStat, observeQuantile, observeStat, type RobustStat } from './robust-stat.js';

/** Hours in a week: the time-of-day buckets of the rate baselines. */
export const HOURS_PER_WEEK = 168;

/** A count of events among a total, both decayed alike. */
export interface DecayedShare {
  events: number;
  total: number;
}

export interface AnomalyBaseline {
  /** Requests per active minute, per hour of the week. */
  requestsPerMinute: RobustStat[];
  /** Spend (micro-dollars) per active minute, per hour of the week. */
  spendPerMinute: RobustStat[];
  /** The same over every hour, for hours not yet learned. */
  requestsPerMinuteOverall: RobustStat;
  spendPerMinuteOverall: RobustStat;
  /** The usual busiest minutes: the 98th percentile of the same, over every hour (`m`). */
  requestsPerMinutePeak: RobustStat;
  spendPerMinutePeak: RobustStat;
  /** log2(1 + tokens) per request. */
  promptTokens: RobustStat;
  completionTokens: RobustStat;
  /** log2(1 + micro-dollars) per priced request: how lumpy spend is, for judging spend rates. */
  requestCost: RobustStat;
  errors: DecayedShare;
  blocks: DecayedShare;
  models: NoveltySet;
  endpoints: NoveltySet;
  tools: NoveltySet;
  clients: NoveltySet;
  userAgents: NoveltySet;
  userAgentFamilies: NoveltySet;
  /** Hours of the week (as "0"–"167") the key has been active in, one observation per active minute. */
  activeHours: NoveltySet;
}

/** What a baseline learns from one request (an event's fields). */
export interface RequestFacts {
  /** Epoch ms. */
  readonly at: number;
  readonly model: string | null;
  readonly endpoint: string;
  readonly tools: readonly string[];
  readonly clientIpHash: string;
  readonly userAgentHash: string;
  /** The hash of the user agent without its versions (`userAgentFamily`). */
  readonly userAgentFamilyHash: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costMicros: number;
  /** The provider or Keyward answered with an error (status 400 or above, blocks aside). */
  readonly failed: boolean;
  /** A policy, a budget or a limit refused it. */
  readonly blocked: boolean;
}

/** Decisions where Keyward refused the request itself (policies, budgets, limits, the key). */
const REFUSALS: ReadonlySet<string> = new Set(['blocked', 'rejected', 'rate_limited', 'budget_exceeded', 'denied']);

/** How a finished request ended, for the baselines and the scoring: refused by Keyward, or failed otherwise. */
export function requestOutcome(status: number, decision: string): { readonly failed: boolean; readonly blocked: boolean } {
  const blocked = REFUSALS.has(decision);
  return { failed: !blocked && status >= 400, blocked };
}

/** One minute in which a key made at least one request. */
export interface ActiveMinute {
  /** Epoch ms of any instant in the minute. */
  readonly at: number;
  readonly requests: number;
  readonly costMicros: number;
}

const HOURLY_RATE = 0.05;
const OVERALL_RATE = 0.01;
const SIZE_RATE = 0.01;
const PEAK = 0.98;
/** Decayed shares halve past this total, so the rate follows the last couple of thousand requests. */
const SHARE_HORIZON = 2_000;

/** An empty baseline: everything is learned from the first request on. */
export function emptyBaseline(): AnomalyBaseline {
  return {
    requestsPerMinute: Array.from({ length: HOURS_PER_WEEK }, emptyStat),
    spendPerMinute: Array.from({ length: HOURS_PER_WEEK }, emptyStat),
    requestsPerMinuteOverall: emptyStat(),
    spendPerMinuteOverall: emptyStat(),
    requestsPerMinutePeak: emptyStat(),
    spendPerMinutePeak: emptyStat(),
    promptTokens: emptyStat(),
    completionTokens: emptyStat(),
    requestCost: emptyStat(),
    errors: { events: 0, total: 0 },
    blocks: { events: 0, total: 0 },
    models: emptyNoveltySet(),
    endpoints: emptyNoveltySet(),
    tools: emptyNoveltySet(),
    clients: emptyNoveltySet(),
    userAgents: emptyNoveltySet(),
    userAgentFamilies: emptyNoveltySet(),
    activeHours: emptyNoveltySet(),
  };
}

/** The hour of the week (0 = Monday 00:00–01:00 UTC) of an epoch-ms instant. */
export function hourOfWeek(at: number): number {
  const date = new Date(at);
  return ((date.getUTCDay() + 6) % 7) * 24 + date.getUTCHours();
}

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** "Tuesday 10:00" for an hour of the week. */
export function hourOfWeekLabel(hour: number): string {
  return `${DAYS[Math.floor(hour / 24)]} ${String(hour % 24).padStart(2, '0')}:00`;
}

/** The size scale requests are learned and judged on. */
export function sizeScale(tokens: number): number {
  return Math.log2(1 + tokens);
}

/** Folds one request into `baseline` in place. */
export function learnRequest(baseline: AnomalyBaseline, request: RequestFacts): void {
  if (!request.blocked) {
    observeStat(baseline.promptTokens, sizeScale(request.promptTokens), SIZE_RATE, 0.25);
    if (!request.failed) observeStat(baseline.completionTokens, sizeScale(request.completionTokens), SIZE_RATE, 0.25);
    if (request.costMicros > 0) observeStat(baseline.requestCost, sizeScale(request.costMicros), SIZE_RATE, 0.25);
  }
  addToShare(baseline.errors, request.failed);
  addToShare(baseline.blocks, request.blocked);
  if (request.model !== null) observeValue(baseline.models, request.model, request.at);
  observeValue(baseline.endpoints, request.endpoint, request.at);
  for (const tool of request.tools) observeValue(baseline.tools, tool, request.at);
  observeValue(baseline.clients, request.clientIpHash, request.at);
  observeValue(baseline.userAgents, request.userAgentHash, request.at);
  observeValue(baseline.userAgentFamilies, request.userAgentFamilyHash, request.at);
}

/** Folds one active minute's totals into `baseline` in place. */
export function learnMinute(baseline: AnomalyBaseline, minute: ActiveMinute): void {
  const hour = hourOfWeek(minute.at);
  observeValue(baseline.activeHours, String(hour), minute.at);
  observeStat(baseline.requestsPerMinute[hour]!, minute.requests, HOURLY_RATE, 0.5);
  observeStat(baseline.spendPerMinute[hour]!, minute.costMicros, HOURLY_RATE, 1);
  observeStat(baseline.requestsPerMinuteOverall, minute.requests, OVERALL_RATE, 0.5);
  observeStat(baseline.spendPerMinuteOverall, minute.costMicros, OVERALL_RATE, 1);
  observeQuantile(baseline.requestsPerMinutePeak, minute.requests, PEAK, OVERALL_RATE, Math.max(baseline.requestsPerMinuteOverall.s, 0.5));
  observeQuantile(baseline.spendPerMinutePeak, minute.costMicros, PEAK, OVERALL_RATE, Math.max(baseline.spendPerMinuteOverall.s, 1));
}

function addToShare(share: DecayedShare, happened: boolean): void {
  share.total += 1;
  if (happened) share.events += 1;
  if (share.total > SHARE_HORIZON) {
    share.total /= 2;
    share.events /= 2;
  }
}
