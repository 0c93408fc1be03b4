import type { Admission, RateWindowStatus } from './types.js';

/**
 * Formats a duration the way OpenAI's `x-ratelimit-reset-*` headers do (Go's
 * `time.Duration` notation): `20ms` below a second, otherwise hours, minutes and seconds with
 * the smaller units always present and fractional seconds trimmed: `1s`, `1.5s`, `6m0s`, `1h0m0s`.
 */
export function formatResetDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const millis = whole % 60_000;
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000 === 0
      ? ''
      : `.${String(millis % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
  }s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/**
 * The OpenAI-style rate-limit headers for an admission: `x-ratelimit-{limit,remaining,reset}`
 * for `-requests` and `-tokens` when such limits apply, and `retry-after` (whole seconds) on a
 * refusal that can be retried.
 */
export function rateLimitHeaders(result: Admission): Record<string, string> {
  const headers: Record<string, string> = {};
  addWindow(headers, 'requests', result.rateLimit.requests);
  addWindow(headers, 'tokens', result.rateLimit.tokens);
  if (!result.ok && result.retryAfterSeconds !== null) headers['retry-after'] = String(result.retryAfterSeconds);
  return headers;
}

function addWindow(headers: Record<string, string>, name: 'requests' | 'tokens', window: RateWindowStatus | null): void {
  if (window === null) return;
  headers[`x-ratelimit-limit-${name}`] = String(window.limit);
  headers[`x-ratelimit-remaining-${name}`] = String(window.remaining);
  headers[`x-ratelimit-reset-${name}`] = formatResetDuration(window.resetMs);
}
