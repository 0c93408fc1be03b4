import type { MessagePort } from 'node:worker_threads';

/** A failure crosses as the error itself: structured cloning keeps its class (a `RangeError` stays one). */
type Reply = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: Error };

/**
 * Answers the calls a worker sends on `port` with `run`'s result. Each call runs whole in one
 * turn of the serving thread, so no other worker's call can come between its check and its change.
 */
export function servePort<Call extends { readonly id: number }>(port: MessagePort, run: (call: Call) => unknown): void {
  const answer = (reply: Reply) => port.postMessage(reply);
  port.on('message', (call: Call) => {
    Promise.resolve()
      .then(() => run(call))
      .then(
        (value) => answer({ id: call.id, value }),
        (err: unknown) => answer({ id: call.id, error: err as Error }),
      );
  });
}

/** The worker's end of `servePort`: each call is a message with an id, its promise settles with the reply of that id. */
export class PortCaller<Call extends { readonly id: number }> {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private closed = false;

  /** `closedMessage` is the error every call gets once the port is closed. */
  constructor(
    private readonly port: MessagePort,
    private readonly closedMessage: string,
  ) {
    port.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id);
      if (waiter === undefined) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) waiter.reject(reply.error);
      else waiter.resolve(reply.value);
    });
  }

  call(call: DistributiveOmit<Call, 'id'>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(this.closedMessage));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ ...call, id });
    });
  }

  close(): void {
    this.closed = true;
    this.port.close();
    for (const waiter of this.waiting.values()) waiter.reject(new Error(this.closedMessage));
    this.waiting.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
