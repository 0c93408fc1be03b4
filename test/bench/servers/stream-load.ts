/**
 * A load-generator child of the stream-capacity ramp: it waits for the agreed start time, opens
 * its share of the streams with `openStreams` (undici, one connection per stream), and sends
 * one IPC message with every stream's outcome (open and close times on the shared clock, chunk
 * count, largest gap) and its own CPU seconds, and exits when the bench closes the channel. Running the clients here keeps the bench's own process out
 * of what is measured, and several of these share a large step.
 *
 *   node stream-load.js --job '{"endpoint":…,"body":"…","count":1000,"spreadMs":250,"timeoutMs":31280,"startAt":…}'
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStreams, outcomeOf, wallMs, type Endpoint } from '../lib/load.js';

/** What the bench asks one generator to do. */
export interface StreamLoadJob {
  readonly endpoint: Endpoint;
  readonly body: string;
  readonly count: number;
  readonly spreadMs: number;
  readonly timeoutMs: number;
  /** `wallMs()` at which every generator of the step starts opening. */
  readonly startAt: number;
}

const { values } = parseArgs({ options: { job: { type: 'string' } } });
const job = JSON.parse(values.job ?? 'null') as StreamLoadJob | null;
if (!job) {
  process.send?.({ error: 'stream-load needs --job' });
  process.exit(2);
}
await sleep(Math.max(0, job.startAt - wallMs()));
const batch = await openStreams(job.endpoint, job.body, { count: job.count, spreadMs: job.spreadMs, timeoutMs: job.timeoutMs });
// The bench closes the channel once it read the message; that ends this process.
process.once('disconnect', () => process.exit(0));
const cpu = process.cpuUsage();
process.send?.({ streams: batch.streams.map(outcomeOf), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
