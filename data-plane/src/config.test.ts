import { generateSecret } from '@keyward/shared';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadDataPlaneConfig } from './config.js';
import { parseRedisUrl } from './limits/redis-client.js';

const base = {
  KEYWARD_NODE_TOKEN: generateSecret('node_token'),
  KEYWARD_KMS: 'local-key:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  KEYWARD_KEY_PEPPER: Buffer.alloc(32, 7).toString('base64'),
};

describe('data-plane configuration from the environment', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadDataPlaneConfig(base);
    expect(config).toMatchObject({
      port: 8080,
      controlPlaneUrls: ['http://127.0.0.1:4000'],
      eventsUrl: null,
      maxBodyBytes: 10 * 1024 * 1024,
      drainTimeoutMs: 30_000,
      allowLoopbackUpstreams: false,
      heartbeatIntervalMs: 10_000,
      logLevel: 'info',
      trustProxyProtocol: false,
      workers: 1,
    });
    expect(config.nodeId).toMatch(/^dp-/);
    expect(config.hashSalt.length).toBe(32);
    expect(config.otlpTracesUrl).toBeNull();
    expect(config.otelServiceName).toBe('keyward-data-plane');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = loadDataPlaneConfig({
      ...base,
      KEYWARD_DP_PORT: '9000',
      KEYWARD_DP_HOST: '127.0.0.1',
      KEYWARD_CONTROL_PLANE_URL: 'https://cp.example.com/',
      KEYWARD_NODE_ID: 'node-a',
      KEYWARD_DP_STATE_DIR: '/var/lib/keyward',
      KEYWARD_HASH_SALT: 'a salt of some length',
      KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      KEYWARD_MAX_BODY_BYTES: '2048',
      KEYWARD_UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
      KEYWARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000',
      KEYWARD_UPSTREAM_IDLE_TIMEOUT_MS: '3000',
      KEYWARD_DRAIN_SECONDS: '2.5',
      KEYWARD_TRUST_PROXY_PROTOCOL: 'true',
      KEYWARD_DP_WORKERS: '4',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      controlPlaneUrls: ['https://cp.example.com'],
      eventsUrl: null,
      nodeId: 'node-a',
      stateDir: '/var/lib/keyward',
      allowLoopbackUpstreams: true,
      maxBodyBytes: 2048,
      upstreamConnectTimeoutMs: 1000,
      upstreamFirstByteTimeoutMs: 2000,
      upstreamIdleTimeoutMs: 3000,
      drainTimeoutMs: 2500,
      trustProxyProtocol: true,
      workers: 4,
      logLevel: 'debug',
    });
    expect(config.hashSalt.toString()).toBe('a salt of some length');
  });

  it('takes several control planes, separated by commas, in order and without repeats', () => {
    const config = loadDataPlaneConfig({ ...base, KEYWARD_CONTROL_PLANE_URL: 'http://cp-a:4000/, http://cp-b:4000,http://cp-a:4000' });
    expect(config.controlPlaneUrls).toEqual(['http://cp-a:4000', 'http://cp-b:4000']);
    expect(() => loadDataPlaneConfig({ ...base, KEYWARD_CONTROL_PLANE_URL: 'http://cp-a:4000,,http://cp-b:4000' })).toThrow(
      'KEYWARD_CONTROL_PLANE_URL must be one http or https URL, or several separated by commas, with none empty.',
    );
    expect(() => loadDataPlaneConfig({ ...base, KEYWARD_CONTROL_PLANE_URL: 'http://cp-a:4000,ftp://cp-b' })).toThrow(
      'KEYWARD_CONTROL_PLANE_URL must be an http or https URL, got "ftp://cp-b".',
    );
  });

  it('resolves the OTLP traces URL as the exporters do: a base gets /v1/traces, the traces variable is the whole URL', () => {
    expect(loadDataPlaneConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).otlpTracesUrl).toBe('http://collector:4318/v1/traces');
    const both = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/spans' };
    expect(loadDataPlaneConfig(both).otlpTracesUrl).toBe('https://traces.example.com/otlp/spans');
    expect(loadDataPlaneConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'edge-gw' }).otelServiceName).toBe('edge-gw');
  });

  it('reads REDIS_URL for one server, a Sentinel setup or Redis Cluster', () => {
    expect(parseRedisUrl('rediss://:pw@cache:6380/2')).toEqual({ mode: 'standalone', url: 'rediss://:pw@cache:6380/2' });
    expect(parseRedisUrl('redis+sentinel://app:s%40cret@s1:26379,s2,[::1]:26380/my-master/3')).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'my-master',
      auth: { username: 'app', password: 's@cret' },
      db: 3,
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://:pw@c1:7000,c2')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'c1', port: 7000 },
        { host: 'c2', port: 6379 },
      ],
      auth: { password: 'pw' },
      tls: true,
    });
    expect(loadDataPlaneConfig({ ...base, REDIS_URL: 'redis+cluster://c1:7000' }).redisUrl).toBe('redis+cluster://c1:7000');
  });

  it.each([
    [{ KEYWARD_NODE_TOKEN: undefined }, /^KEYWARD_NODE_TOKEN is required/],
    [{ KEYWARD_NODE_TOKEN: generateSecret('key') }, /^KEYWARD_NODE_TOKEN is not a valid node token/],
    [{ KEYWARD_KMS: undefined }, /^KEYWARD_KMS is required/],
    [{ KEYWARD_KMS: 'vault:thing' }, /^KEYWARD_KMS must start with/],
    [{ KEYWARD_KEY_PEPPER: Buffer.alloc(16).toString('base64') }, /^KEYWARD_KEY_PEPPER must be base64 of at least 32 bytes/],
    [{ KEYWARD_DP_PORT: '70000' }, /^KEYWARD_DP_PORT must be an integer from 0 to 65535/],
    [{ KEYWARD_CONTROL_PLANE_URL: 'ftp://x' }, /^KEYWARD_CONTROL_PLANE_URL must be an http or https URL/],
    [{ KEYWARD_ALLOW_LOOPBACK_UPSTREAMS: 'maybe' }, /^KEYWARD_ALLOW_LOOPBACK_UPSTREAMS must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ KEYWARD_DP_WORKERS: '0' }, /^KEYWARD_DP_WORKERS must be an integer from 1 to 64, got "0"/],
    [{ KEYWARD_DP_WORKERS: '1.5' }, /^KEYWARD_DP_WORKERS must be an integer from 1 to 64/],
    [{ KEYWARD_HASH_SALT: 'short' }, /^KEYWARD_HASH_SALT must be at least 16 characters/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http or https URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }, /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http or https URL/],
    [{ REDIS_URL: 'memcached://cache:11211' }, /^REDIS_URL must be a redis:\/\/, rediss:\/\/, redis\+sentinel:\/\//],
    [{ REDIS_URL: 'redis+sentinel://s1:26379,s2:26379' }, /^REDIS_URL for Sentinel must name the master/],
    [{ REDIS_URL: 'redis+sentinel://s1:26379/mymaster/x' }, /^REDIS_URL for Sentinel takes the master name and an optional database number/],
    [{ REDIS_URL: 'redis+cluster://c1:7000,c2:7001/0' }, /^REDIS_URL for Redis Cluster takes no path/],
    [{ REDIS_URL: 'redis+cluster://c1:7000,:7001' }, /^REDIS_URL has a host that is not host:port: ":7001"/],
    [{ REDIS_URL: 'redis+cluster://c1:99999' }, /^REDIS_URL has a host that is not host:port: "c1:99999"/],
    [{ KEYWARD_PRICES_FILE: '/nonexistent/data.json' }, /^KEYWARD_PRICES_FILE "\/nonexistent\/data.json" cannot be used: it cannot be read as JSON \(ENOENT/],
  ])('refuses %o with one sentence naming the variable', (override, message) => {
    expect(() => loadDataPlaneConfig({ ...base, ...override })).toThrow(ConfigError);
    expect(() => loadDataPlaneConfig({ ...base, ...override })).toThrow(message);
  });

  it('never puts a secret value in its error messages', () => {
    const token = generateSecret('key');
    try {
      loadDataPlaneConfig({ ...base, KEYWARD_NODE_TOKEN: token });
    } catch (err) {
      expect((err as Error).message).not.toContain(token);
    }
  });
});
