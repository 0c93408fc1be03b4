import { describe, expect, it } from 'vitest';
import { countdownUrgency, formatCountdown } from './countdown';

describe('the expiry countdown', () => {
  it('reads minutes and seconds, rounding seconds up', () => {
    expect(formatCountdown(90_000)).toBe('1:30');
    expect(formatCountdown(59_001)).toBe('1:00');
    expect(formatCountdown(400)).toBe('0:01');
  });

  it('adds hours and then days for long holds', () => {
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(2 * 86_400_000 + 3 * 3_600_000)).toBe('2 d 3 h');
  });

  it('stops at zero and says how urgent it is', () => {
    expect(formatCountdown(-5)).toBe('0:00');
    expect([countdownUrgency(300_000), countdownUrgency(60_000), countdownUrgency(10_000), countdownUrgency(0)]).toEqual(['calm', 'soon', 'now', 'over']);
  });
});
