import type { ClientResponse } from './response.js';

/** The responses in flight, so shutdown can wait for them and cut the ones that outlive the drain deadline. */
export class RequestTracker {
  private readonly active = new Set<ClientResponse>();
  private idleWaiters: (() => void)[] = [];

  add(response: ClientResponse): void {
    this.active.add(response);
  }

  delete(response: ClientResponse): void {
    this.active.delete(response);
    if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  get size(): number {
    return this.active.size;
  }

  /** Resolves when no request is in flight, or after `timeoutMs`; true when idle. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Cuts every connection still in flight (their upstream requests are aborted through `onAbort`). */
  destroyAll(): void {
    for (const response of this.active) response.cutAtDrainDeadline();
  }
}
