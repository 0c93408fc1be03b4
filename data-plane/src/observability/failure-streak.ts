import type { Logger } from './logger.js';

/**
 * Logs a repeating call's trouble once when a streak of failures starts and once when it ends,
 * instead of on every attempt. `stop()` silences it for a node that is shutting down.
 */
export class FailureStreak {
  private failing = false;
  private stopped = false;

  constructor(
    private readonly log: Logger,
    private readonly said: { readonly failing: string; readonly recovered: string },
  ) {}

  failed(reason: string): void {
    if (!this.failing && !this.stopped) this.log.warn({ reason }, this.said.failing);
    this.failing = true;
  }

  succeeded(): void {
    if (this.failing) this.log.info(this.said.recovered);
    this.failing = false;
  }

  stop(): void {
    this.stopped = true;
  }
}
