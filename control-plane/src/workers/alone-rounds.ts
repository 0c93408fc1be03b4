import { runAlone } from '../db/job-lock.js';
import type { Services } from '../services.js';
import type { StopBackgroundWork } from '../startup.js';

/**
 * Runs `round` now and every `intervalMs`, one round at a time here and one control plane of the
 * database at a time (`runAlone` under the name `job`). A failed round is logged as `failure` and
 * the next one tries again. The returned stop waits for the round in flight.
 */
export function startAloneRounds(services: Services, job: string, intervalMs: number, round: () => Promise<unknown>, failure: string): StopBackgroundWork {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running.then(() =>
      runAlone(services.orm, job, round).then(
        () => undefined,
        (error: unknown) => services.log.error({ err: error }, failure),
      ),
    );
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
