import { MessageChannel, Worker } from 'node:worker_threads';
import type { DataPlaneConfig } from '../config.js';
import { MemoryLimiter } from '../limits/memory-limiter.js';
import type { Logger } from '../observability/logger.js';
import { startAcceptor, type Acceptor } from './acceptor.js';
import { MemorySessionTable } from '../storage/session-table.js';
import { SharedLimiterHost } from './limiter-channel.js';
import { PoolMetrics } from './pool-metrics.js';
import type { ToSupervisor, ToWorker, WorkerData } from './protocol.js';
import { serveSessionTable } from './session-table-channel.js';

/** A data-plane process serving on several threads. */
export interface WorkerPool {
  readonly port: number;
  readonly workers: number;
  /**
   * Graceful stop: the acceptor stops accepting, every worker drains as a single node does
   * (open requests finish until the drain deadline, events are spooled and shipped), then the
   * shared counters close.
   */
  close(): Promise<void>;
}

interface RunningWorker {
  readonly thread: Worker;
  readonly port: number;
  readonly stopped: Promise<void>;
}

/**
 * Starts `config.workers` worker threads, each a whole node on a loopback port, and the acceptor
 * that hands them the connections of `config.port`. Without `REDIS_URL` the budget and
 * rate-limit counters live here, on the main thread, and every worker admits and settles through
 * a port to them; the session table (HDP token sessions without Redis, `/mcp` aggregate sessions)
 * lives here in every case. A worker that dies outside a drain is fatal: `onFatal` hears why.
 */
export async function startWorkerPool(config: DataPlaneConfig, log: Logger, onFatal: (reason: string) => void): Promise<WorkerPool> {
  const host = config.redisUrl === null ? new SharedLimiterHost(new MemoryLimiter()) : null;
  const sessions = new MemorySessionTable();
  if (host)
    log.info(
      { workers: config.workers },
      'budget and rate-limit counters are kept in memory, shared by every worker (set REDIS_URL to share them between nodes)',
    );
  let draining = false;
  const started: RunningWorker[] = [];
  const metrics = new PoolMetrics(() => started.map((worker) => worker.thread));
  const onMessage = (thread: Worker, message: ToSupervisor) => {
    if (message.type === 'collected') metrics.collected(message.id, message.metrics);
    else if (message.type === 'metrics') void metrics.text().then((text) => thread.postMessage({ type: 'metrics', id: message.id, text } satisfies ToWorker));
  };
  const stopAll = async () => {
    draining = true;
    for (const worker of started) worker.thread.postMessage({ type: 'drain' } satisfies ToWorker);
    await Promise.all(started.map((worker) => worker.stopped));
    await host?.close();
  };
  // Workers start together: each builds its tokenizers, which takes a second or two.
  const outcomes = await Promise.allSettled(
    Array.from({ length: config.workers }, (_, index) =>
      startWorker({ index, count: config.workers, host, sessions }, { draining: () => draining, onFatal, onMessage }),
    ),
  );
  for (const outcome of outcomes) if (outcome.status === 'fulfilled') started.push(outcome.value);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  let acceptor: Acceptor;
  try {
    acceptor = await startAcceptor({
      host: config.host,
      port: config.port,
      workerPorts: started.map((worker) => worker.port),
      onError: (reason) => log.error({ reason }, 'acceptor error'),
    });
  } catch (err) {
    await stopAll();
    throw new Error(`could not listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  log.info({ port: acceptor.port, host: config.host, workers: config.workers }, 'data plane listening on every worker');
  let closing: Promise<void> | null = null;
  return {
    port: acceptor.port,
    workers: config.workers,
    close() {
      closing ??= (async () => {
        acceptor.stopAccepting();
        await stopAll();
        acceptor.destroyAll();
        log.info('data plane stopped');
      })();
      return closing;
    },
  };
}

/** Starts one worker and resolves once it listens; rejects with its reason when it cannot start. */
function startWorker(
  options: { index: number; count: number; host: SharedLimiterHost | null; sessions: MemorySessionTable },
  events: { draining: () => boolean; onFatal: (reason: string) => void; onMessage: (thread: Worker, message: ToSupervisor) => void },
): Promise<RunningWorker> {
  const { draining, onFatal } = events;
  const channel = options.host ? new MessageChannel() : null;
  if (channel) options.host!.serve(channel.port1);
  const sessionChannel = new MessageChannel();
  serveSessionTable(options.sessions, sessionChannel.port1);
  const data: WorkerData = { index: options.index, count: options.count, limiterPort: channel?.port2 ?? null, sessionPort: sessionChannel.port2 };
  const thread = new Worker(new URL('./worker-main.js', import.meta.url), {
    workerData: data,
    transferList: channel ? [channel.port2, sessionChannel.port2] : [sessionChannel.port2],
  });
  const stopped = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  void stopped.then(() => {
    channel?.port1.close();
    sessionChannel.port1.close();
  });
  return new Promise<RunningWorker>((resolve, reject) => {
    let listening = false;
    thread.on('message', (message: ToSupervisor) => {
      if (message.type === 'listening') {
        listening = true;
        resolve({ thread, port: message.port, stopped });
      } else if (message.type === 'collected' || message.type === 'metrics') {
        events.onMessage(thread, message);
      } else if (message.type === 'failed') {
        if (listening) onFatal(`worker ${options.index}: ${message.reason}`);
        else {
          reject(new Error(`worker ${options.index} could not start: ${message.reason}`));
          void thread.terminate();
        }
      }
    });
    thread.on('error', (err) => {
      if (listening) onFatal(`worker ${options.index} failed: ${err.message}`);
      else reject(new Error(`worker ${options.index} could not start: ${err.message}`));
    });
    thread.once('exit', (code) => {
      if (!listening) reject(new Error(`worker ${options.index} exited with code ${code} before it listened`));
      else if (!draining()) onFatal(`worker ${options.index} exited with code ${code}`);
    });
  });
}
