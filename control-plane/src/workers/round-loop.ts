/**
 * The timing of a background worker that works in rounds (the webhook and audit-sink workers):
 * one round at a time, `wake()` runs one now or right after the one in flight, and each round
 * says how long to sleep before the next. `stop()` waits for the round in flight; none starts
 * after it.
 */
export class RoundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  /** `round` resolves with the milliseconds to wait before the next round. */
  constructor(private readonly round: () => Promise<number>) {}

  /** Whether `stop()` was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Runs a round now (or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.round()
      .then((waitMs) => this.schedule(waitMs))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops after the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, ms));
    this.timer.unref();
  }
}
