/**
 * Runs the anomaly scoring over synthetic traffic the way Keyward runs it: each request is
 * scored on arrival from the key's local one-minute counters and the baselines as last learned,
 * and the baselines learn every minute from what the minute brought (the control plane folding
 * in ingested events and pushing them back). Counts, per incident kind, how many were detected
 * and how long after their first request; and the false alarms on keys with no incident.
 */
import {
  ActivityWindow,
  DEFAULT_ANOMALY_THRESHOLD,
  emptyBaseline,
  learnMinute,
  learnRequest,
  scoreRequest,
  type AnomalyBaseline,
  type AnomalyReasonCode,
} from '@keyward/shared';
import { Random } from './random.js';
import {
  buildPopulation,
  INCIDENT_KINDS,
  MINUTE_MS,
  MINUTES_PER_WEEK,
  requestsInMinute,
  SIMULATION_START,
  type IncidentKind,
  type KeyProfile,
} from './traffic.js';

export interface EvaluationOptions {
  readonly seed: number;
  readonly keys: number;
  readonly weeks: number;
  readonly threshold?: number;
}

interface IncidentFigures {
  readonly kind: IncidentKind;
  readonly injected: number;
  readonly detected: number;
  readonly detectedWithin30s: number;
  /** Delays from the incident's first request to the first alert, ms, sorted. */
  readonly delaysMs: readonly number[];
}

export interface EvaluationReport {
  readonly options: Required<EvaluationOptions>;
  readonly requests: number;
  readonly incidents: readonly IncidentFigures[];
  /** Alert episodes (alerts more than an hour apart) on keys without an incident, after the first week. */
  readonly falseAlarms: number;
  readonly cleanKeyWeeks: number;
  /** Which signals the false alarms led with. */
  readonly falseAlarmReasons: Readonly<Partial<Record<AnomalyReasonCode, number>>>;
  /** The first few false alarms, to see what the scoring mistook for an incident. */
  readonly falseAlarmExamples: readonly string[];
  readonly elapsedMs: number;
}

/** An alert more than this after the previous one starts a new episode. */
const EPISODE_GAP_MS = 60 * MINUTE_MS;
/** Alerts this long after an incident ends still count as its detection (the slow ones). */
const DETECTION_GRACE_MS = 60 * MINUTE_MS;

interface KeyRun {
  readonly key: KeyProfile;
  readonly baseline: AnomalyBaseline;
  readonly window: ActivityWindow;
  onsetAt: number | null;
  detectedAt: number | null;
  lastAlertAt: number;
}

export function evaluate(options: EvaluationOptions): EvaluationReport {
  const threshold = options.threshold ?? DEFAULT_ANOMALY_THRESHOLD;
  const started = performance.now();
  const population = buildPopulation(options.seed, options.keys, options.weeks);
  const random = new Random(options.seed ^ 0x5eed);
  const organizations = new Map<number, AnomalyBaseline>();
  const runs: KeyRun[] = population.keys.map((key) => {
    if (!organizations.has(key.organization.id)) organizations.set(key.organization.id, emptyBaseline());
    return { key, baseline: emptyBaseline(), window: new ActivityWindow(), onsetAt: null, detectedAt: null, lastAlertAt: -Infinity };
  });
  let requests = 0;
  let falseAlarms = 0;
  const falseAlarmReasons: Partial<Record<AnomalyReasonCode, number>> = {};
  const falseAlarmExamples: string[] = [];
  for (let minute = 0; minute < population.minutes; minute++) {
    for (const run of runs) {
      const batch = requestsInMinute(random, run.key, minute);
      if (batch.length === 0) continue;
      const organization = organizations.get(run.key.organization.id)!;
      const baselines = { key: run.baseline, organization };
      let costMicros = 0;
      for (const request of batch) {
        requests += 1;
        costMicros += request.costMicros;
        if (request.incident && run.onsetAt === null) run.onsetAt = request.at;
        run.window.record(request.at, request.costMicros, request.failed, request.blocked);
        const { score, reasons } = scoreRequest(request, run.window, baselines);
        if (score < threshold) continue;
        if (run.key.incident !== null) {
          const end = SIMULATION_START + (run.key.incident.onset + run.key.incident.durationMinutes) * MINUTE_MS + DETECTION_GRACE_MS;
          if (run.onsetAt !== null && run.detectedAt === null && request.at >= run.onsetAt && request.at <= end) run.detectedAt = request.at;
        } else if (minute >= MINUTES_PER_WEEK && request.at - run.lastAlertAt > EPISODE_GAP_MS) {
          falseAlarms += 1;
          const lead = reasons[0]!.code;
          falseAlarmReasons[lead] = (falseAlarmReasons[lead] ?? 0) + 1;
          if (falseAlarmExamples.length < 20) {
            falseAlarmExamples.push(`${run.key.id} ${new Date(request.at).toISOString()} score ${score}: ${reasons.map((r) => r.message).join('; ')}`);
          }
        }
        run.lastAlertAt = request.at;
      }
      for (const request of batch) {
        learnRequest(run.baseline, request);
        learnRequest(organization, request);
      }
      const totals = { at: batch[0]!.at, requests: batch.length, costMicros };
      learnMinute(run.baseline, totals);
      learnMinute(organization, totals);
    }
  }
  let cleanKeyWeeks = 0;
  for (const run of runs) {
    if (run.key.incident === null) cleanKeyWeeks += (population.minutes - Math.max(run.key.createdAt, MINUTES_PER_WEEK)) / MINUTES_PER_WEEK;
  }
  return {
    options: { ...options, threshold },
    requests,
    incidents: INCIDENT_KINDS.map((kind) => incidentFigures(kind, runs)),
    falseAlarms,
    cleanKeyWeeks,
    falseAlarmReasons,
    falseAlarmExamples,
    elapsedMs: performance.now() - started,
  };
}

function incidentFigures(kind: IncidentKind, runs: readonly KeyRun[]): IncidentFigures {
  const hit = runs.filter((r) => r.key.incident?.kind === kind && r.onsetAt !== null);
  const delaysMs = hit.filter((r) => r.detectedAt !== null).map((r) => r.detectedAt! - r.onsetAt!);
  delaysMs.sort((a, b) => a - b);
  return { kind, injected: hit.length, detected: delaysMs.length, detectedWithin30s: delaysMs.filter((d) => d <= 30_000).length, delaysMs };
}

/** False alarms per 100 clean key-weeks. */
export function falseAlarmRate(report: EvaluationReport): number {
  return report.cleanKeyWeeks === 0 ? 0 : (100 * report.falseAlarms) / report.cleanKeyWeeks;
}
