import { DECISIONS, type Decision, type ProviderKind } from '@keyward/shared';
import { histogramOf } from './histogram.js';

/** What a performance rollup needs of a stored event. */
export interface TimedEvent {
  readonly orgId: string;
  readonly provider: ProviderKind | null;
  readonly status: number;
  readonly decision: Decision;
  readonly startedAt: Date;
  readonly latencyMs: number;
  readonly ttftMs: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Decisions whose requests went to a provider or failed trying: their times are the ones worth charting. */
export const TIMED_DECISIONS: ReadonlySet<Decision> = new Set(['allowed', 'redacted', 'approved', 'error']);

/** The stretches performance rollups sum over: each one's table, time column and length. */
export const ROLLUP_GRAINS = {
  hour: { table: 'performance_rollups', column: 'hour', ms: 3_600_000 },
  quarter: { table: 'performance_quarter_rollups', column: 'quarter', ms: 900_000 },
  minute: { table: 'performance_minute_rollups', column: 'minute', ms: 60_000 },
} as const;
export type RollupGrain = keyof typeof ROLLUP_GRAINS;

/** How long minute rollups are kept: the Performance screen's minute buckets reach this far back. */
export const MINUTE_ROLLUP_HOURS = 48;

/** The sums one organization's events add to one hour (quarter hour, minute) and provider, as the rollup tables store them. */
export interface PerformanceRollupRow {
  readonly org_id: string;
  /** Start of the UTC hour, quarter hour or minute, ISO 8601. */
  readonly start: string;
  /** `''` for requests decided before a provider was chosen. */
  readonly provider: string;
  readonly requests: number;
  readonly client_errors: number;
  readonly server_errors: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  /** Requests per decision, in the order of `DECISIONS`, without trailing zeros (as histograms). */
  readonly decision_counts: number[];
  readonly latency_histogram: number[];
  readonly ttft_histogram: number[];
}

/**
 * Groups events by organization, UTC hour (quarter hour, minute) and provider, in that order (so concurrent batches
 * lock rollup rows in the same order). Latency and time to first token are counted for requests
 * that were forwarded or failed (a blocked request's few milliseconds would hide the providers').
 */
export function performanceRollupRows(events: readonly TimedEvent[], grain: RollupGrain = 'hour'): PerformanceRollupRow[] {
  const { ms } = ROLLUP_GRAINS[grain];
  const groups = new Map<string, TimedEvent[]>();
  for (const event of events) {
    const start = new Date(Math.floor(event.startedAt.getTime() / ms) * ms).toISOString();
    const id = `${event.orgId}|${start}|${event.provider ?? ''}`;
    const group = groups.get(id);
    if (group) group.push(event);
    else groups.set(id, [event]);
  }
  return [...groups.keys()].sort().map((id) => {
    const [org_id, start, provider] = id.split('|') as [string, string, string];
    const group = groups.get(id)!;
    const timed = group.filter((e) => TIMED_DECISIONS.has(e.decision));
    return {
      org_id,
      start,
      provider,
      requests: group.length,
      client_errors: group.filter((e) => e.status >= 400 && e.status < 500).length,
      server_errors: group.filter((e) => e.status >= 500).length,
      input_tokens: group.reduce((sum, e) => sum + e.inputTokens, 0),
      output_tokens: group.reduce((sum, e) => sum + e.outputTokens, 0),
      decision_counts: withoutTrailingZeros(DECISIONS.map((decision) => group.filter((e) => e.decision === decision).length)),
      latency_histogram: histogramOf(timed.map((e) => e.latencyMs)),
      ttft_histogram: histogramOf(timed.flatMap((e) => (e.ttftMs === null ? [] : [e.ttftMs]))),
    };
  });
}

function withoutTrailingZeros(counts: number[]): number[] {
  let length = counts.length;
  while (length > 0 && counts[length - 1] === 0) length -= 1;
  return counts.slice(0, length);
}
