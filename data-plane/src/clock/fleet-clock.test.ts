import { describe, expect, it } from 'vitest';
import { FleetClock } from './fleet-clock.js';

const START = Date.parse('2026-12-07T12:00:00.000Z');

/** A fleet clock on a monotonic clock the test moves. */
function clockAt(wallNow: number) {
  let mono = 5_000;
  const clock = new FleetClock(() => mono, wallNow);
  return { clock, advance: (ms: number) => (mono += ms) };
}

describe('the fleet clock', () => {
  it('counts from the wall clock at start on the monotonic clock only', () => {
    const { clock, advance } = clockAt(START);
    expect(clock.now()).toBe(START);
    advance(90_000);
    expect(clock.now()).toBe(START + 90_000);
  });

  it('keeps its time when the control plane’s Date header agrees to the second', () => {
    const { clock, advance } = clockAt(START + 400);
    const sent = clock.mark();
    advance(30);
    expect(clock.observe(new Date(START).toUTCString(), sent)).toBeNull();
    expect(clock.now()).toBe(START + 430);
  });

  it('takes the control plane’s time when the node started two days ahead, and counts on from it', () => {
    const { clock, advance } = clockAt(START + 2 * 86_400_000);
    const sent = clock.mark();
    advance(40);
    expect(clock.observe('Mon, 07 Dec 2026 12:00:00 GMT', sent)).toEqual({ stepMs: -(2 * 86_400_000 + 40 - 520) });
    expect(clock.now()).toBe(START + 520);
    advance(1_000);
    expect(clock.now()).toBe(START + 1_520);
  });

  it('ignores an answer without a readable Date header', () => {
    const { clock } = clockAt(START);
    expect(clock.observe(undefined, clock.mark())).toBeNull();
    expect(clock.observe('yesterday', clock.mark())).toBeNull();
    expect(clock.now()).toBe(START);
  });
});
