/**
 * Turns the measurements into the report: per-target figures as medians over rounds with their
 * range, each also as a ratio to the bare pass-through (row 2) and to Portkey (row 4), rendered
 * as a Markdown table and kept as JSON.
 */
import type { CapacityResult, LatencyResult, StreamLatencyResult, ThroughputResult } from './scenarios.js';
import { spread, type Spread } from './stats.js';
import { TARGET_IDS, TARGET_LABELS, type TargetId } from './targets.js';

/** Everything measured against one target in one round. */
interface RoundMeasurement {
  readonly latency: LatencyResult;
  readonly throughput: ThroughputResult;
  readonly streamLatency: StreamLatencyResult;
}

/** One round: the order targets ran in and what each measured. */
export interface Round {
  readonly order: TargetId[];
  readonly targets: Partial<Record<TargetId, RoundMeasurement>>;
}

/** The figures of one row of the table. */
export interface RowSummary {
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  /** Latency above the mock's own in the same round (0 for the mock row). */
  readonly addedP50Ms: Spread;
  readonly addedP99Ms: Spread;
  readonly rpsUnderP99Limit: Spread;
  readonly peakRps: Spread;
  /** True when the row's throughput came within 10% of the mock's own ceiling (the mock, not the row, may be what limited it). */
  readonly rpsNearMockCeiling: boolean;
  readonly addedTtftMs: Spread;
  readonly addedGapP50Ms: Spread;
  readonly addedGapP99Ms: Spread;
  readonly maxStreams: number;
  readonly rssPerStreamKiB: number;
  readonly cpuSecondsPer1k: Spread;
  readonly helperCpuSecondsPer1k: Spread;
}

/** The metrics the ratio table covers, with how they are shown. */
const METRICS = [
  { key: 'addedP50Ms', title: 'added p50 (ms)', digits: 3 },
  { key: 'addedP99Ms', title: 'added p99 (ms)', digits: 3 },
  { key: 'rpsUnderP99Limit', title: 'req/s, p99 < 5 ms', digits: 0 },
  { key: 'peakRps', title: 'peak req/s (any p99)', digits: 0 },
  { key: 'addedTtftMs', title: 'added TTFT (ms)', digits: 3 },
  { key: 'addedGapP50Ms', title: 'added gap p50 (ms)', digits: 3 },
  { key: 'addedGapP99Ms', title: 'added gap p99 (ms)', digits: 3 },
  { key: 'maxStreams', title: 'streams held', digits: 0 },
  { key: 'rssPerStreamKiB', title: 'RSS / stream (KiB)', digits: 1 },
  { key: 'cpuSecondsPer1k', title: 'CPU s / 1k req', digits: 3 },
] as const satisfies readonly { key: keyof RowSummary; title: string; digits: number }[];

type MetricKey = (typeof METRICS)[number]['key'];

/** A row's value of a metric: the median for per-round figures. */
function metricValue(row: RowSummary, key: MetricKey): number {
  const v = row[key];
  return typeof v === 'number' ? v : v.median;
}

/** Summarises the rounds and the capacity runs into one row per target. */
export function summarizeRows(
  rounds: readonly Round[],
  capacity: Partial<Record<TargetId, CapacityResult>>,
  mockCeilingRps: number,
): Partial<Record<TargetId, RowSummary>> {
  const rows: Partial<Record<TargetId, RowSummary>> = {};
  for (const id of TARGET_IDS) {
    const mine = rounds.map((r) => r.targets[id]);
    if (mine.every((m) => m === undefined)) continue;
    const floor = rounds.map((r) => r.targets.mock);
    const added = (pick: (m: RoundMeasurement) => number) => spread(mine.map((m, i) => (m && floor[i] ? pick(m) - pick(floor[i]!) : Number.NaN)));
    const each = (pick: (m: RoundMeasurement) => number) => spread(mine.map((m) => (m ? pick(m) : Number.NaN)));
    const rps = each((m) => m.throughput.maxRpsUnderLimit);
    const cap = capacity[id];
    rows[id] = {
      p50Ms: each((m) => m.latency.latency.p50),
      p99Ms: each((m) => m.latency.latency.p99),
      addedP50Ms: added((m) => m.latency.latency.p50),
      addedP99Ms: added((m) => m.latency.latency.p99),
      rpsUnderP99Limit: rps,
      peakRps: each((m) => m.throughput.peakRps),
      rpsNearMockCeiling: id !== 'mock' && mockCeilingRps > 0 && rps.median >= 0.9 * mockCeilingRps,
      addedTtftMs: added((m) => m.streamLatency.ttft.p50),
      addedGapP50Ms: added((m) => m.streamLatency.gap.p50),
      addedGapP99Ms: added((m) => m.streamLatency.gap.p99),
      maxStreams: cap?.maxStreams ?? Number.NaN,
      rssPerStreamKiB: cap ? cap.rssPerStreamBytes / 1024 : Number.NaN,
      cpuSecondsPer1k: each((m) => m.throughput.cpuPer1k),
      helperCpuSecondsPer1k: each((m) => m.throughput.helperCpuPer1k),
    };
  }
  return rows;
}

/** Each row's metrics divided by the bare pass-through's and Portkey's. */
export function ratios(rows: Partial<Record<TargetId, RowSummary>>): Partial<Record<TargetId, Record<MetricKey, { toBare: number; toPortkey: number }>>> {
  const out: Partial<Record<TargetId, Record<MetricKey, { toBare: number; toPortkey: number }>>> = {};
  const divide = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(b) || b === 0 ? Number.NaN : a / b);
  for (const id of TARGET_IDS) {
    const row = rows[id];
    if (!row) continue;
    const entry = {} as Record<MetricKey, { toBare: number; toPortkey: number }>;
    for (const m of METRICS) {
      const v = metricValue(row, m.key);
      entry[m.key] = {
        toBare: divide(v, rows.bare ? metricValue(rows.bare, m.key) : undefined),
        toPortkey: divide(v, rows.portkey ? metricValue(rows.portkey, m.key) : undefined),
      };
    }
    out[id] = entry;
  }
  return out;
}

function num(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function withSpread(s: Spread, digits: number): string {
  if (!Number.isFinite(s.median)) return '–';
  if (s.rounds.filter((v) => Number.isFinite(v)).length < 2) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}…${num(s.max, digits)})`;
}

function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}×` : '–';
}

/** The Markdown tables: absolute figures, then ratios to the bare pass-through's and Portkey's rows. */
export function markdownTables(rows: Partial<Record<TargetId, RowSummary>>, rowRatios: ReturnType<typeof ratios>): string {
  const lines: string[] = [];
  const header = ['#', 'target', 'p50 / p99 c=1 (ms)', ...METRICS.map((m) => m.title), 'helper CPU s / 1k'];
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`);
  TARGET_IDS.forEach((id, index) => {
    const row = rows[id];
    if (!row) return;
    const cells = [
      String(index + 1),
      TARGET_LABELS[id],
      `${num(row.p50Ms.median, 3)} / ${num(row.p99Ms.median, 3)}`,
      ...METRICS.map((m) => {
        const v = row[m.key];
        const text = typeof v === 'number' ? num(v, m.digits) : withSpread(v, m.digits);
        return m.key === 'rpsUnderP99Limit' && row.rpsNearMockCeiling ? `${text} ⚠ mock-bound` : text;
      }),
      withSpread(row.helperCpuSecondsPer1k, 3),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  });
  const rowOf = (id: TargetId) => TARGET_IDS.indexOf(id) + 1;
  lines.push('', `Ratios (value ÷ bare pass-through, row ${rowOf('bare')} / value ÷ Portkey, row ${rowOf('portkey')}):`, '');
  const rh = ['#', 'target', ...METRICS.map((m) => m.title)];
  lines.push(`| ${rh.join(' | ')} |`, `| ${rh.map(() => '---').join(' | ')} |`);
  TARGET_IDS.forEach((id, index) => {
    const r = rowRatios[id];
    if (!r) return;
    lines.push(`| ${[String(index + 1), TARGET_LABELS[id], ...METRICS.map((m) => `${ratio(r[m.key].toBare)} / ${ratio(r[m.key].toPortkey)}`)].join(' | ')} |`);
  });
  return lines.join('\n');
}
