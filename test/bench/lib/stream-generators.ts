/**
 * The stream-capacity ramp's clients, run outside the bench's process: a step's streams are
 * split over load-generator children (`servers/stream-load.ts`, at most `STREAMS_PER_GENERATOR`
 * each) that start together at an agreed time (a lone one at once), and their outcomes are merged. The peak of
 * streams open at once comes from the streams' open and close times on the shared clock.
 */
import { join } from 'node:path';
import { startChild } from './children.js';
import { peakOverlap, wallMs, type Endpoint, type StreamOutcome } from './load.js';
import type { StreamLoadJob } from '../servers/stream-load.js';
import type { Layout } from './targets.js';

/** Streams one generator opens at most; a 5,000-stream step uses five. */
const STREAMS_PER_GENERATOR = 1_000;
/** Time for several generators to start before the first stream opens (one starts at once). */
const START_DELAY_MS = 3_000;

/** Where the generators run: the bench's layout and the cores they are pinned to (null: unpinned). */
export interface GeneratorPlace {
  readonly layout: Layout;
  readonly cores: string | null;
}

/** What a step's generators saw together. */
export interface GeneratedStreams {
  readonly streams: StreamOutcome[];
  readonly peakOpen: number;
  readonly generators: number;
  /** CPU seconds the generators used together (start-up included). */
  readonly generatorCpuSeconds: number;
}

/** Opens `count` streams from child processes, their starts spread over `spreadMs`. */
export async function openStreamsFromChildren(
  place: GeneratorPlace,
  endpoint: Endpoint,
  body: string,
  options: { count: number; spreadMs: number; timeoutMs: number },
): Promise<GeneratedStreams> {
  const generators = Math.ceil(options.count / STREAMS_PER_GENERATOR);
  const startAt = wallMs() + (generators > 1 ? START_DELAY_MS : 0);
  const shares = Array.from({ length: generators }, (_, i) => Math.floor(options.count / generators) + (i < options.count % generators ? 1 : 0));
  const outcomes = await Promise.all(
    shares.map(async (count, i) => {
      const job: StreamLoadJob = { endpoint, body, count, spreadMs: options.spreadMs, timeoutMs: options.timeoutMs, startAt };
      const child = await startChild({
        name: `stream load generator ${i + 1}`,
        script: join(place.layout.benchDist, 'servers', 'stream-load.js'),
        args: ['--job', JSON.stringify(job)],
        cores: place.cores,
        logFile: join(place.layout.workDir, 'stream-load.log'),
        waitForHello: true,
        startTimeoutMs: START_DELAY_MS + options.spreadMs + options.timeoutMs + 30_000,
      });
      await child.stop(5_000);
      return child.hello as { streams: StreamOutcome[]; cpuSeconds: number };
    }),
  );
  const streams = outcomes.flatMap((o) => o.streams);
  return { streams, peakOpen: peakOverlap(streams), generators, generatorCpuSeconds: outcomes.reduce((sum, o) => sum + o.cpuSeconds, 0) };
}
