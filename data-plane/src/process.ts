import type { DataPlane } from './dataplane.js';
import type { Logger } from './observability/logger.js';

/** What `stopOnSignals` needs from the process; injectable so tests can send signals safely. */
export interface SignalTarget {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

/** How `stopOnSignals` ends the process, and where it listens for signals (the process by default). */
export interface StopOnSignalsOptions {
  readonly exit: (code: number) => void;
  readonly target?: SignalTarget;
}

/**
 * Wires SIGTERM and SIGINT to a graceful stop: the node (or every worker of it) drains (listen socket closed, open
 * requests finish until the deadline, events shipped) and then `exit(0)`. A second signal
 * exits at once with 1, for an operator who does not want to wait. Returns an uninstaller.
 */
export function stopOnSignals(node: Pick<DataPlane, 'close'>, log: Logger, options: StopOnSignalsOptions): () => void {
  const target = options.target ?? process;
  let stopping = false;
  const handle = (signal: 'SIGTERM' | 'SIGINT') => () => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      options.exit(1);
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    node.close().then(
      () => options.exit(0),
      (err: unknown) => {
        log.error({ reason: (err as Error).message }, 'shutdown failed');
        options.exit(1);
      },
    );
  };
  const onTerm = handle('SIGTERM');
  const onInt = handle('SIGINT');
  target.on('SIGTERM', onTerm);
  target.on('SIGINT', onInt);
  return () => {
    target.off('SIGTERM', onTerm);
    target.off('SIGINT', onInt);
  };
}
