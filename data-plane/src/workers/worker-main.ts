/**
 * A worker thread of a data-plane process with `KEYWARD_DP_WORKERS` above 1: a whole node
 * (config subscription, pipeline, spool and shipper of its own) listening on a loopback port
 * the acceptor hands connections to. What it shares with the other workers comes in `workerData`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDataPlaneConfig } from '../config.js';
import { startDataPlane } from '../dataplane.js';
import { createLogger } from '../observability/logger.js';
import { PortLimiter } from './limiter-channel.js';
import { PortSessionTable } from './session-table-channel.js';
import { workerConfig, type ToSupervisor, type ToWorker, type WorkerData } from './protocol.js';

const data = workerData as WorkerData;
const port = parentPort!;
const post = (message: ToSupervisor) => port.postMessage(message);
const config = workerConfig(loadDataPlaneConfig(process.env), data);
const log = createLogger(config.logLevel).child({ worker: data.index });
process.on('unhandledRejection', (reason) => {
  log.error({ reason: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection');
});

const limiter = data.limiterPort === null ? undefined : new PortLimiter(data.limiterPort);
const sessionTable = new PortSessionTable(data.sessionPort);
try {
  // One worker speaks for the node: its heartbeat, and its spend reconciliation of the counters all share.
  const asked = new Map<number, (text: string) => void>();
  let nextAsk = 0;
  // `/metrics` on any worker answers for all of them: the supervisor collects and adds them up.
  const metricsText = () =>
    new Promise<string>((resolve) => {
      const id = nextAsk++;
      asked.set(id, resolve);
      post({ type: 'metrics', id });
    });
  const node = await startDataPlane(config, { logger: log, limiter, sessionTable, heartbeat: data.index === 0, spendReconcile: data.index === 0, metricsText });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'collect') {
      void node.metricsJson().then((metrics) => post({ type: 'collected', id: message.id, metrics }));
      return;
    }
    if (message.type === 'metrics') {
      asked.get(message.id)?.(message.text);
      asked.delete(message.id);
      return;
    }
    node.close().then(
      async () => {
        await limiter?.close();
        sessionTable.close();
        post({ type: 'stopped' });
        port.close();
      },
      (err: unknown) => post({ type: 'failed', reason: `drain failed: ${(err as Error).message}` }),
    );
  });
  post({ type: 'listening', port: node.port });
} catch (err) {
  post({ type: 'failed', reason: (err as Error).message });
  await limiter?.close();
  sessionTable.close();
  port.close();
}
