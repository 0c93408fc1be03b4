import { describe, expect, it } from 'vitest';
import { formatResetDuration, rateLimitHeaders } from './headers.js';
import type { Admission } from './types.js';

describe('rate-limit headers', () => {
  it('formats reset durations like OpenAI', () => {
    expect([0, 20, 999, 1_000, 1_500, 17_280, 60_000, 360_000, 61_005, 3_723_000].map(formatResetDuration)).toEqual([
      '0s',
      '20ms',
      '999ms',
      '1s',
      '1.5s',
      '17.28s',
      '1m0s',
      '6m0s',
      '1m1.005s',
      '1h2m3s',
    ]);
  });

  it('rounds a fraction of a millisecond up so a client never retries early', () => {
    expect(formatResetDuration(0.2)).toBe('1ms');
  });

  it('adds retry-after to a retryable refusal and leaves out windows no limit defines', () => {
    const refused: Admission = {
      ok: false,
      reason: 'limiter_unavailable',
      message: 'down',
      retryAfterSeconds: 1,
      rateLimit: { requests: null, tokens: { limit: 1_000, remaining: 0, resetMs: 6_000 } },
    };
    expect(rateLimitHeaders(refused)).toEqual({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6s',
      'retry-after': '1',
    });
  });
});
