import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLimiter } from './memory-limiter.js';
import { budget, ORG, rateLimit, request, T0 } from './testing/fixtures.js';

const DAY = 86_400_000;
let limiter: MemoryLimiter;

afterEach(async () => {
  await limiter.close();
});

describe('MemoryLimiter housekeeping', () => {
  it('keeps a finished period for late settlements until its retention ends, then forgets it', async () => {
    limiter = new MemoryLimiter({ retentionMs: DAY, sweepIntervalMs: 0 });
    const daily = budget('b_daily', { period: 'day' });
    const admission = limiter.admitSync(request({ budgets: [daily], reserveMicros: 10 }));
    if (!admission.ok) throw new Error(admission.message);
    limiter.settleSync(admission.ticket, { costMicros: 7, tokens: 0, now: T0 });
    const periodEnd = Date.UTC(2025, 2, 13);
    limiter.sweep(periodEnd + DAY - 1);
    expect(await limiter.usage(ORG, 'b_daily', '2025-03-12', periodEnd + DAY - 1)).toMatchObject({ spentMicros: 7 });
    limiter.sweep(periodEnd + DAY + 1);
    expect(await limiter.usage(ORG, 'b_daily', '2025-03-12', periodEnd + DAY + 1)).toMatchObject({ spentMicros: 0 });
  });

  it('sweeps a rate counter away only once it has drained', async () => {
    limiter = new MemoryLimiter({ sweepIntervalMs: 0 });
    const rpm = [rateLimit('rl', { requestsPerMinute: 1 })];
    expect(limiter.admitSync(request({ rateLimits: rpm })).ok).toBe(true);
    limiter.sweep(T0 + 30_000);
    expect(limiter.admitSync(request({ rateLimits: rpm, now: T0 + 30_000 })).ok).toBe(false);
    limiter.sweep(T0 + 60_000);
    expect(limiter.admitSync(request({ rateLimits: rpm, now: T0 + 60_000 })).ok).toBe(true);
  });

  it('decides synchronously, so a caller needs no await on the hot path', () => {
    limiter = new MemoryLimiter({ sweepIntervalMs: 0 });
    const admission = limiter.admitSync(request({ budgets: [budget('b')], reserveMicros: 5 }));
    expect(admission.ok).toBe(true);
    if (admission.ok) expect(limiter.settleSync(admission.ticket, { costMicros: 5, tokens: 0 }).budgets[0].spentMicros).toBe(5);
  });
});
