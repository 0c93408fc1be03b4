/**
 * Soak mode (`npm run bench -- --soak 10m`): holds a share of Keyward's peak load, streams and
 * non-streams mixed, for a long time, samples memory every 10 s and fits a line through the
 * samples after the warm-up. A leak shows as a slope well above the samples' own scatter.
 */
import { request } from 'undici';
import { closedLoop, openPool, type Endpoint } from './load.js';
import { rssBytes } from './proc.js';

/** How the soak runs. */
export interface SoakOptions {
  readonly durationMs: number;
  /** Share of the measured peak request rate to hold (0.7). */
  readonly loadShare: number;
  /** One request in this many is streamed. */
  readonly streamEvery: number;
  readonly sampleIntervalMs: number;
  /** Samples taken before this much of the run passed are the warm-up and not fitted. */
  readonly warmupShare: number;
}

export const DEFAULT_SOAK: Omit<SoakOptions, 'durationMs'> = { loadShare: 0.7, streamEvery: 10, sampleIntervalMs: 10_000, warmupShare: 0.2 };

/** One memory reading. */
interface SoakSample {
  /** Seconds since the load started. */
  readonly atSeconds: number;
  readonly keywardRssBytes: number;
  /** V8 heap in use, from the node's own `/metrics` (NaN if it could not be read). */
  readonly keywardHeapBytes: number;
  readonly controlPlaneRssBytes: number;
}

/** A least-squares line through the samples after the warm-up. */
export interface Slope {
  /** MiB per hour. */
  readonly mibPerHour: number;
  /** Standard deviation of the samples around the line, MiB: the noise a slope is judged against. */
  readonly scatterMib: number;
  /** What the line predicts the value grows by over the fitted span, MiB. */
  readonly growthOverSpanMib: number;
  /** Growth over the fitted span within twice the scatter. */
  readonly flat: boolean;
}

export interface SoakResult {
  readonly options: SoakOptions;
  readonly peakRps: number;
  readonly targetRps: number;
  readonly requests: number;
  readonly streams: number;
  readonly errors: number;
  readonly errorExamples: readonly string[];
  readonly samples: readonly SoakSample[];
  readonly keywardRss: Slope;
  readonly keywardHeap: Slope;
  readonly controlPlaneRss: Slope;
}

const MIB = 1024 * 1024;
/** Requests that may be outstanding at once; past this the pacer waits instead of piling up. */
const MAX_IN_FLIGHT = 512;

/**
 * Measures Keyward's peak (closed loop at concurrency 16 for a few seconds), then holds
 * `loadShare` of it open-loop for `durationMs`, every `streamEvery`-th request streamed.
 */
export async function runSoak(
  endpoint: Endpoint,
  keywardPid: number,
  controlPlanePid: number,
  body: string,
  streamBody: string,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<SoakResult> {
  const peakPool = openPool(endpoint, 16);
  const peak = await closedLoop(peakPool, endpoint, body, { concurrency: 16, durationMs: 5_000, warmupMs: 1_000, maxRequests: 1_000_000 });
  await peakPool.close();
  const peakRps = peak.completed / peak.elapsedSeconds;
  const targetRps = Math.max(1, peakRps * options.loadShare);
  log(`soak: peak ${Math.round(peakRps)} req/s; holding ${Math.round(targetRps)} req/s for ${Math.round(options.durationMs / 1000)} s`);

  const pool = openPool(endpoint, MAX_IN_FLIGHT);
  const headers = { ...endpoint.headers, 'content-type': 'application/json' };
  const streamHeaders = { ...headers, accept: 'text/event-stream' };
  const samples: SoakSample[] = [];
  const errorExamples: string[] = [];
  let sent = 0;
  let streams = 0;
  let errors = 0;
  let inFlight = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const one = async (streamed: boolean): Promise<void> => {
    inFlight++;
    try {
      const res = await pool.request({ path: endpoint.path, method: 'POST', headers: streamed ? streamHeaders : headers, body: streamed ? streamBody : body });
      const text = await res.body.text();
      if (res.statusCode !== 200 || (streamed && !text.includes('[DONE]'))) {
        errors++;
        if (errorExamples.length < 3) errorExamples.push(`${res.statusCode} ${text.slice(0, 160)}`);
      }
    } catch (err) {
      errors++;
      if (errorExamples.length < 3) errorExamples.push((err as Error).message);
    } finally {
      inFlight--;
    }
  };

  const sample = async (): Promise<void> => {
    samples.push({
      atSeconds: (performance.now() - started) / 1000,
      keywardRssBytes: rssBytes(keywardPid),
      keywardHeapBytes: await heapUsed(endpoint.origin),
      controlPlaneRssBytes: rssBytes(controlPlanePid),
    });
    const last = samples[samples.length - 1];
    log(
      `soak: ${Math.round(last.atSeconds)} s, ${sent} requests; Keyward RSS ${(last.keywardRssBytes / MIB).toFixed(1)} MiB, heap ${(last.keywardHeapBytes / MIB).toFixed(1)} MiB; control plane RSS ${(last.controlPlaneRssBytes / MIB).toFixed(1)} MiB`,
    );
  };

  let nextSample = started;
  while (performance.now() < deadline) {
    const now = performance.now();
    if (now >= nextSample) {
      await sample();
      nextSample += options.sampleIntervalMs;
    }
    // Open loop: send what the rate says is due, unless too many are still outstanding.
    const due = Math.floor(((performance.now() - started) / 1000) * targetRps) - sent;
    for (let i = 0; i < due && inFlight < MAX_IN_FLIGHT; i++) {
      sent++;
      const streamed = sent % options.streamEvery === 0;
      if (streamed) streams++;
      void one(streamed);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  await sample();
  await pool.close();

  const fitted = samples.filter((s) => s.atSeconds >= (options.durationMs / 1000) * options.warmupShare);
  return {
    options,
    peakRps,
    targetRps,
    requests: sent,
    streams,
    errors,
    errorExamples,
    samples,
    keywardRss: slopeOf(fitted.map((s) => [s.atSeconds, s.keywardRssBytes / MIB])),
    keywardHeap: slopeOf(fitted.filter((s) => Number.isFinite(s.keywardHeapBytes)).map((s) => [s.atSeconds, s.keywardHeapBytes / MIB])),
    controlPlaneRss: slopeOf(fitted.map((s) => [s.atSeconds, s.controlPlaneRssBytes / MIB])),
  };
}

/** The node's V8 heap in use, read from its Prometheus metrics. */
async function heapUsed(origin: string): Promise<number> {
  try {
    const res = await request(`${origin}/metrics`);
    const text = await res.body.text();
    const match = /^keyward_dp_nodejs_heap_size_used_bytes\s+(\S+)/m.exec(text);
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of `points` ([seconds, MiB]) and their scatter around the line. */
export function slopeOf(points: readonly (readonly [number, number])[]): Slope {
  if (points.length < 3) return { mibPerHour: Number.NaN, scatterMib: Number.NaN, growthOverSpanMib: Number.NaN, flat: false };
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  const perSecond = variance > 0 ? covariance / variance : 0;
  const residuals = points.map(([x, y]) => y - (meanY + perSecond * (x - meanX)));
  const scatterMib = Math.sqrt(residuals.reduce((sum, r) => sum + r * r, 0) / (n - 2));
  const growthOverSpanMib = perSecond * (points[n - 1][0] - points[0][0]);
  return { mibPerHour: perSecond * 3600, scatterMib, growthOverSpanMib, flat: Math.abs(growthOverSpanMib) <= 2 * scatterMib };
}

function verdict(slope: Slope): string {
  if (Number.isNaN(slope.mibPerHour)) return 'too few samples';
  if (slope.flat) return 'flat';
  return slope.mibPerHour > 0 ? 'growing' : 'shrinking';
}

/** The soak's report, in Markdown. */
export function renderSoak(result: SoakResult): string {
  const row = (name: string, slope: Slope) =>
    `| ${name} | ${slope.mibPerHour.toFixed(2)} | ${slope.growthOverSpanMib.toFixed(2)} | ${slope.scatterMib.toFixed(2)} | ${verdict(slope)} |`;
  return [
    `Soak: ${Math.round(result.options.durationMs / 1000)} s at ${Math.round(result.targetRps)} req/s (${Math.round(result.options.loadShare * 100)}% of a measured peak of ${Math.round(result.peakRps)} req/s), one request in ${result.options.streamEvery} streamed; ${result.requests} requests (${result.streams} streamed), ${result.errors} errors${result.errorExamples.length > 0 ? ` (${result.errorExamples.join('; ')})` : ''}. Memory sampled every ${result.options.sampleIntervalMs / 1000} s; the line is fitted after the first ${Math.round(result.options.warmupShare * 100)}% of the run, and "flat" means its growth over that span is within twice the samples' scatter around it.`,
    '',
    '| memory | slope (MiB/h) | growth over the fitted span (MiB) | scatter (MiB) | verdict |',
    '| --- | --- | --- | --- | --- |',
    row('Keyward RSS', result.keywardRss),
    row('Keyward V8 heap used', result.keywardHeap),
    row('control plane RSS', result.controlPlaneRss),
    '',
  ].join('\n');
}
