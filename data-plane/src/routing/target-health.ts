import { MAX_REPORTED_CIRCUITS, type BreakerSettings, type ReportedCircuit } from '@keyward/shared';
import type { TargetSample } from '../observability/metrics.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** A target's circuit: `closed` lets requests through, `open` refuses them, `half_open` lets one probe through. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What `admit` answered: go ahead, go ahead as the half-open probe, or skip the target. */
export type Admission = 'closed' | 'probe' | 'open';

const LATENCY_SAMPLES = 64;
/** Latencies older than this no longer count toward p50/p95. */
const LATENCY_WINDOW_MS = 5 * 60_000;
const OUTCOME_SAMPLES = 256;
/** How long a half-open circuit waits for its probe's outcome before letting another through. */
const PROBE_DEADLINE_MS = 60_000;

/** Told when a circuit opens or closes, so other nodes can follow (Redis) and metrics can show it. */
export interface CircuitListener {
  onOpen(id: string, openUntil: number): void;
  onClose(id: string): void;
}

/** What is known about one target: requests in flight, recent latencies and its circuit. */
export class TargetHealth {
  outstanding = 0;
  state: CircuitState = 'closed';
  openUntil = 0;
  private probeDeadline = 0;
  private consecutiveFailures = 0;
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private readonly latencyTimes = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private readonly outcomeTimes = new Float64Array(OUTCOME_SAMPLES);
  private readonly outcomeFailed = new Uint8Array(OUTCOME_SAMPLES);
  private outcomeCount = 0;
  private sortedCache: number[] | null = null;
  private sortedAt = 0;

  constructor(readonly id: string) {}

  /** Notes how long the provider took to start answering. */
  observeLatency(ms: number, now: number): void {
    const i = this.latencyCount++ % LATENCY_SAMPLES;
    this.latencies[i] = ms;
    this.latencyTimes[i] = now;
    this.sortedCache = null;
  }

  /** The given percentile (0–1) of recent latencies, or null when none is recent. */
  latencyPercentile(p: number, now: number): number | null {
    // Sorted once per new sample, and again at most once a second as samples age out of the window.
    if (this.sortedCache === null || now - this.sortedAt > 1_000) {
      this.sortedAt = now;
      const recent: number[] = [];
      const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
      for (let i = 0; i < n; i++) if (now - this.latencyTimes[i] <= LATENCY_WINDOW_MS) recent.push(this.latencies[i]);
      this.sortedCache = recent.sort((a, b) => a - b);
    }
    const sorted = this.sortedCache;
    if (sorted.length === 0) return null;
    return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  /** Whether a request may go to this target now. */
  admit(now: number): Admission {
    if (this.state === 'closed') return 'closed';
    // A probe whose outcome never came (its agent left mid-attempt) is replaced after a while.
    if ((this.state === 'open' && now >= this.openUntil) || (this.state === 'half_open' && now >= this.probeDeadline)) {
      this.state = 'half_open';
      this.probeDeadline = now + PROBE_DEADLINE_MS;
      return 'probe';
    }
    return 'open';
  }

  /** A success closes the circuit. Returns true when it was not closed before. */
  succeeded(now: number): boolean {
    this.record(now, false);
    this.consecutiveFailures = 0;
    if (this.state === 'closed') return false;
    this.state = 'closed';
    this.openUntil = 0;
    return true;
  }

  /** A failure; returns true when it opened the circuit (a failed probe reopens it). */
  failed(settings: BreakerSettings, now: number): boolean {
    this.record(now, true);
    this.consecutiveFailures += 1;
    if (this.state === 'open') return false;
    if (this.state === 'half_open' || this.consecutiveFailures >= settings.consecutiveFailures || this.errorRateExceeded(settings, now)) {
      this.open(now + settings.openSeconds * 1000);
      return true;
    }
    return false;
  }

  /** Opens the circuit until the given time (also when another node reports it open). */
  open(until: number): void {
    this.state = 'open';
    this.openUntil = Math.max(this.openUntil, until);
  }

  private record(now: number, failed: boolean): void {
    const i = this.outcomeCount++ % OUTCOME_SAMPLES;
    this.outcomeTimes[i] = now;
    this.outcomeFailed[i] = failed ? 1 : 0;
  }

  private errorRateExceeded(settings: BreakerSettings, now: number): boolean {
    const since = now - settings.windowSeconds * 1000;
    let seen = 0;
    let failures = 0;
    const n = Math.min(this.outcomeCount, OUTCOME_SAMPLES);
    for (let i = 0; i < n; i++) {
      if (this.outcomeTimes[i] < since) continue;
      seen += 1;
      failures += this.outcomeFailed[i];
    }
    return seen >= settings.minRequests && failures * 100 >= settings.errorRatePercent * seen;
  }
}

/** Every target's health on this node, by target id (`<credential id>/<model>`). */
export class TargetHealthBoard {
  private readonly entries = new Map<string, TargetHealth>();
  private readonly listeners: CircuitListener[] = [];

  get(id: string): TargetHealth {
    let entry = this.entries.get(id);
    if (!entry) this.entries.set(id, (entry = new TargetHealth(id)));
    return entry;
  }

  /** Every target seen so far (for metrics). */
  all(): IterableIterator<TargetHealth> {
    return this.entries.values();
  }

  listen(listener: CircuitListener): void {
    this.listeners.push(listener);
  }

  /** Records a failure and tells the listeners when it opened the circuit. */
  failure(id: string, settings: BreakerSettings, now: number): void {
    const entry = this.get(id);
    if (entry.failed(settings, now)) for (const l of this.listeners) l.onOpen(id, entry.openUntil);
  }

  /** Records a success and tells the listeners when it closed the circuit. */
  success(id: string, now: number): void {
    if (this.get(id).succeeded(now)) for (const l of this.listeners) l.onClose(id);
  }

  /** Applies another node's report: open until a time, or closed (0). */
  applyRemote(id: string, openUntil: number, now: number): void {
    const entry = this.get(id);
    if (openUntil > now) entry.open(openUntil);
    else if (entry.state !== 'closed') entry.succeeded(now);
  }
}

const CIRCUIT_GAUGE: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/** The board as metrics show it, read at scrape time. */
export function* targetSamples(board: TargetHealthBoard): Iterable<TargetSample> {
  const now = fleetNow();
  for (const t of board.all()) {
    const p50 = t.latencyPercentile(0.5, now);
    const p95 = t.latencyPercentile(0.95, now);
    yield { id: t.id, circuit: CIRCUIT_GAUGE[t.state], p50Seconds: p50 === null ? null : p50 / 1000, p95Seconds: p95 === null ? null : p95 / 1000 };
  }
}

/** The targets whose circuit is not closed, as the heartbeat reports them (the control plane shows them per target). */
export function openCircuits(board: TargetHealthBoard): ReportedCircuit[] {
  const open: ReportedCircuit[] = [];
  for (const t of board.all()) {
    if (t.state === 'closed') continue;
    open.push({ target: t.id, state: t.state, openUntil: t.state === 'open' ? new Date(t.openUntil).toISOString() : null });
    if (open.length === MAX_REPORTED_CIRCUITS) break;
  }
  return open;
}
