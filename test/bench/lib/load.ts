/**
 * The load generator: undici pools with keep-alive, one connection per concurrent request,
 * timed with `process.hrtime.bigint()`. Every loop is bounded by a count and a deadline, and
 * only loopback targets are accepted. The stream-capacity ramp runs `openStreams` in child
 * processes (`servers/stream-load.ts`), so the bench's own process does not limit it.
 */
import { Pool } from 'undici';

/** Where requests go and how they authenticate. */
export interface Endpoint {
  /** `http://127.0.0.1:PORT` (loopback only). */
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What a batch of non-streamed requests measured. */
export interface RequestBatch {
  /** End-to-end latency of each successful request, in milliseconds. */
  readonly samples: Float64Array;
  readonly completed: number;
  readonly errors: number;
  /** The first few error descriptions (status and body start), for the report. */
  readonly errorExamples: string[];
  readonly elapsedSeconds: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
/** Milliseconds on a clock every process of the machine shares (for overlap across load generators). */
export const wallMs = (): number => performance.timeOrigin + performance.now();

function assertLoopback(origin: string): void {
  const host = new URL(origin).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`The benchmark only sends traffic to loopback addresses, not to ${origin}.`);
  }
}

/** A keep-alive pool to `endpoint` with `connections` sockets. */
export function openPool(endpoint: Endpoint, connections: number): Pool {
  assertLoopback(endpoint.origin);
  return new Pool(endpoint.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 });
}

/**
 * Runs `concurrency` workers that each send one request after another until `durationMs`
 * passed or `maxRequests` were sent. Requests finishing during the first `warmupMs` are not
 * counted. Each request's body is read to the end before it counts.
 */
export async function closedLoop(
  pool: Pool,
  endpoint: Endpoint,
  body: string,
  options: { concurrency: number; durationMs: number; warmupMs: number; maxRequests: number },
): Promise<RequestBatch> {
  const samples: number[] = [];
  const errorExamples: string[] = [];
  let errors = 0;
  let sent = 0;
  const started = nowMs();
  const measureFrom = started + options.warmupMs;
  const deadline = measureFrom + options.durationMs;
  let measuredStart = Number.NaN;
  const headers = { ...endpoint.headers, 'content-type': 'application/json' };
  const worker = async () => {
    while (sent < options.maxRequests) {
      const begin = nowMs();
      if (begin >= deadline) return;
      sent++;
      try {
        const res = await pool.request({ path: endpoint.path, method: 'POST', headers, body });
        const text = await res.body.text();
        const end = nowMs();
        if (res.statusCode !== 200) {
          errors++;
          if (errorExamples.length < 3) errorExamples.push(`${res.statusCode} ${text.slice(0, 160)}`);
        } else if (begin >= measureFrom) {
          if (Number.isNaN(measuredStart)) measuredStart = begin;
          samples.push(end - begin);
        }
      } catch (err) {
        errors++;
        if (errorExamples.length < 3) errorExamples.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedSeconds = Math.max(1e-9, (nowMs() - (Number.isNaN(measuredStart) ? started : Math.max(measuredStart, measureFrom))) / 1000);
  return { samples: Float64Array.from(samples), completed: samples.length, errors, errorExamples, elapsedSeconds };
}

/** One SSE stream as the client saw it. */
export interface StreamObservation {
  readonly status: number;
  /** Milliseconds from sending the request to the first SSE event. */
  readonly ttftMs: number;
  /** Content events received (the mock sends one per chunk). */
  readonly contentEvents: number;
  /** Milliseconds between consecutive content events. */
  readonly gapsMs: number[];
  readonly sawDone: boolean;
  readonly error: string | null;
  /** `wallMs()` when its headers arrived and when it ended; NaN when it never opened. */
  readonly openedAt: number;
  readonly closedAt: number;
}

/** A stream's observation without its gaps, as a load-generator child reports it. */
export type StreamOutcome = Omit<StreamObservation, 'gapsMs'> & { readonly maxGapMs: number };

/** Drops the gaps, keeping the largest. */
export function outcomeOf(s: StreamObservation): StreamOutcome {
  const { gapsMs, ...rest } = s;
  return { ...rest, maxGapMs: Math.max(0, ...gapsMs) };
}

/** The most streams open at the same time, from their open and close times. */
export function peakOverlap(streams: readonly Pick<StreamObservation, 'openedAt' | 'closedAt'>[]): number {
  const edges: [number, number][] = [];
  for (const s of streams) {
    if (Number.isNaN(s.openedAt)) continue;
    edges.push([s.openedAt, 1], [s.closedAt, -1]);
  }
  // At equal times a close comes before an open: a stream that ended is not counted with its successor.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta;
    if (open > peak) peak = open;
  }
  return peak;
}

/** What opening `count` streams at once measured. */
export interface StreamBatch {
  readonly streams: StreamObservation[];
  /** The most streams that were open (headers received, not yet ended) at the same time. */
  readonly peakOpen: number;
  readonly elapsedSeconds: number;
}

/**
 * Opens `count` streaming requests over `count` connections, their starts spread evenly over
 * `spreadMs` (so the listen backlog is not flooded), and times every SSE event. Gives up on a
 * stream after `timeoutMs`.
 */
export async function openStreams(endpoint: Endpoint, body: string, options: { count: number; spreadMs: number; timeoutMs: number }): Promise<StreamBatch> {
  const pool = openPool(endpoint, options.count);
  const headers = { ...endpoint.headers, 'content-type': 'application/json', accept: 'text/event-stream' };
  const started = nowMs();
  const one = async (index: number): Promise<StreamObservation> => {
    if (options.spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, (index * options.spreadMs) / options.count));
    const begin = nowMs();
    const signal = AbortSignal.timeout(options.timeoutMs);
    let ttftMs = Number.NaN;
    let contentEvents = 0;
    let sawDone = false;
    let lastContent = Number.NaN;
    const gapsMs: number[] = [];
    let status = 0;
    let openedAt = Number.NaN;
    const seen = (error: string | null): StreamObservation => ({
      status,
      ttftMs,
      contentEvents,
      gapsMs,
      sawDone,
      error,
      openedAt,
      closedAt: Number.isNaN(openedAt) ? Number.NaN : wallMs(),
    });
    try {
      const res = await pool.request({ path: endpoint.path, method: 'POST', headers, body, signal });
      status = res.statusCode;
      openedAt = wallMs();
      let pending = '';
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const at = nowMs();
        pending += chunk.toString('utf8');
        let boundary: number;
        while ((boundary = pending.indexOf('\n\n')) !== -1) {
          const event = pending.slice(0, boundary);
          pending = pending.slice(boundary + 2);
          if (Number.isNaN(ttftMs)) ttftMs = at - begin;
          if (event.includes('[DONE]')) sawDone = true;
          else if (event.includes('tok ')) {
            contentEvents++;
            if (!Number.isNaN(lastContent)) gapsMs.push(at - lastContent);
            lastContent = at;
          }
        }
      }
      return seen(status === 200 ? null : `status ${status}: ${pending.slice(0, 160)}`);
    } catch (err) {
      return seen((err as Error).message);
    }
  };
  try {
    const streams = await Promise.all(Array.from({ length: options.count }, (_, i) => one(i)));
    return { streams, peakOpen: peakOverlap(streams), elapsedSeconds: (nowMs() - started) / 1000 };
  } finally {
    await pool.destroy();
  }
}
