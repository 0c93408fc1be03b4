import { UnsafeAddressError } from '@keyward/shared';
import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { GatewayError, isRetryableConnectFailure, mapUpstreamFailure, upstreamStatusCode } from './errors.js';

describe('mapping upstream failures to stable codes', () => {
  it.each([
    [new errors.ConnectTimeoutError(), 'connect', 'upstream_timeout', 504],
    [new errors.HeadersTimeoutError(), 'connect', 'upstream_timeout', 504],
    [new errors.BodyTimeoutError(), 'body', 'upstream_stalled', 504],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'connect', 'upstream_unavailable', 502],
    [new errors.SocketError('other side closed'), 'body', 'stream_interrupted', 502],
    [new UnsafeAddressError('metadata.internal', '169.254.169.254', 'metadata'), 'connect', 'upstream_blocked', 502],
    [new errors.RequestAbortedError(), 'body', 'client_closed', 499],
  ] as const)('maps %s during %s to %s', (err, phase, code, status) => {
    const mapped = mapUpstreamFailure(err, phase);
    expect(mapped).toBeInstanceOf(GatewayError);
    expect([mapped.code, mapped.status]).toEqual([code, status]);
  });

  it('looks through an error’s cause', () => {
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) });
    expect(mapUpstreamFailure(wrapped, 'connect').code).toBe('upstream_unavailable');
    expect(isRetryableConnectFailure(wrapped)).toBe(true);
  });

  it('only retries another credential when the provider cannot have seen the request', () => {
    expect(isRetryableConnectFailure(new errors.HeadersTimeoutError())).toBe(false);
    expect(isRetryableConnectFailure(new errors.ConnectTimeoutError())).toBe(true);
  });

  it('names passed-through provider statuses', () => {
    expect(upstreamStatusCode(429)).toBe('upstream_rate_limited');
    expect(upstreamStatusCode(400)).toBe('upstream_invalid_request');
    expect(upstreamStatusCode(503)).toBe('upstream_error');
    expect(upstreamStatusCode(409)).toBe('upstream_status_409');
  });
});
