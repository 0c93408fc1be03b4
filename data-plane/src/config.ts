import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_HOLD_SECONDS, parseSecret, usePriceFile } from '@keyward/shared';
import { parseRedisUrl } from './limits/redis-client.js';

/** Thrown by `loadDataPlaneConfig` with one sentence naming the variable that is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Everything a data-plane node needs, parsed once from the environment and frozen. */
export interface DataPlaneConfig {
  readonly port: number;
  readonly host: string;
  /**
   * Base URLs of the control planes (http or https), in the order the node tries them
   * (`KEYWARD_CONTROL_PLANE_URL`, comma-separated); `/graphql` and `/v1/node/events` hang off each.
   */
  readonly controlPlaneUrls: readonly string[];
  /** Where event batches are posted (`KEYWARD_EVENTS_URL`); null: `/v1/node/events` of the control plane in use. */
  readonly eventsUrl: string | null;
  readonly nodeToken: string;
  readonly nodeId: string;
  /** Holds the last known good config and the event spool. */
  readonly stateDir: string;
  /** KMS spec (`local:<path>`, `local-key:<base64>`, `gcp:<resource>`). */
  readonly kms: string;
  /** A Cloud KMS endpoint to use instead of Google's (`KEYWARD_GCP_KMS_ENDPOINT`, emulators and tests). */
  readonly gcpKmsEndpoint: string | null;
  /** Deadline of one Cloud KMS call (retries included): an unwrap sits in front of an agent's request. */
  readonly kmsTimeoutMs: number;
  /** Pepper for the keyed hash under which Keyward keys are looked up. */
  readonly keyPepper: Buffer;
  /** Salt for the client IP and user-agent hashes in events. */
  readonly hashSalt: Buffer;
  /** Lets credentials point at loopback addresses (local mocks); private and link-local stay refused. */
  readonly allowLoopbackUpstreams: boolean;
  /** Trust the first `X-Forwarded-For` entry as the client address (behind a load balancer). */
  readonly trustForwardedFor: boolean;
  /**
   * Take the client address from a PROXY protocol v2 header (`KEYWARD_TRUST_PROXY_PROTOCOL`):
   * behind a load balancer that sends one, and always for workers behind the node's own acceptor.
   */
  readonly trustProxyProtocol: boolean;
  /** How many threads serve requests (`KEYWARD_DP_WORKERS`); above 1, an acceptor hands connections to them. */
  readonly workers: number;
  readonly maxBodyBytes: number;
  readonly upstreamConnectTimeoutMs: number;
  /** Time allowed until the upstream's response headers (the first byte). */
  readonly upstreamFirstByteTimeoutMs: number;
  /** Time allowed between two body chunks of an upstream response. */
  readonly upstreamIdleTimeoutMs: number;
  /** How long open requests may run after SIGTERM before they are cut. */
  readonly drainTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly eventBatchSize: number;
  readonly eventFlushIntervalMs: number;
  /** Least milliseconds between two fsyncs of the event spool (0: every event-loop turn). */
  readonly spoolSyncIntervalMs: number;
  /** Size past which the spool starts a new segment file (a shipped segment is deleted whole). */
  readonly spoolSegmentBytes: number;
  /** Longest pause between attempts to ship events. */
  readonly eventRetryMaxMs: number;
  /** Longest pause between attempts to reach the config stream. */
  readonly configRetryMaxMs: number;
  /** How long an unwrapped provider credential stays in memory. */
  readonly credentialCacheTtlMs: number;
  /** Redis shared by every node for budget and rate-limit counters; null keeps them in this node's memory. */
  readonly redisUrl: string | null;
  /** Capacity of the response cache when it lives in this node's memory (no `REDIS_URL`). */
  readonly responseCacheMaxBytes: number;
  /** How often budget counters are reset to the control plane's spend figures (0: never). */
  readonly spendReconcileIntervalMs: number;
  /** Interval of the SSE keep-alive comments a stream held for approval receives. */
  readonly holdKeepAliveMs: number;
  /** Longest hold of a request that is not streamed, counted from its arrival. */
  readonly unstreamedHoldSeconds: number;
  readonly logLevel: string;
  /**
   * Traces are exported over OTLP/HTTP to this URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given,
   * or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`); null: no tracing at all.
   */
  readonly otlpTracesUrl: string | null;
  /** `service.name` on exported spans (`OTEL_SERVICE_NAME`). */
  readonly otelServiceName: string;
  /** A newer price catalog loaded at start (`KEYWARD_PRICES_FILE`); null: the dataset pinned in the release. */
  readonly pricesFile: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const KMS_SCHEMES = ['local:', 'local-key:', 'gcp:'];
const MIN_PEPPER_BYTES = 32;
/** More threads than this only add contention: the acceptor and the shared counters live on one. */
const MAX_WORKERS = 64;

/**
 * Reads the data plane's configuration from environment variables. Throws `ConfigError` naming
 * the first variable that is missing or malformed; never includes a secret's value.
 */
export function loadDataPlaneConfig(env: Env = process.env): DataPlaneConfig {
  const controlPlaneUrls = httpUrls(env, 'KEYWARD_CONTROL_PLANE_URL', 'http://127.0.0.1:4000');
  const keyPepper = pepper(env);
  const drainSeconds = number(env, 'KEYWARD_DRAIN_SECONDS', 30, { min: 0, max: 3600 });
  const heartbeatSeconds = number(env, 'KEYWARD_HEARTBEAT_SECONDS', 10, { min: 1, max: 3600 });
  return Object.freeze({
    port: number(env, 'KEYWARD_DP_PORT', 8080, { min: 0, max: 65535, integer: true }),
    host: text(env, 'KEYWARD_DP_HOST', '0.0.0.0'),
    controlPlaneUrls,
    eventsUrl: raw(env, 'KEYWARD_EVENTS_URL') === undefined ? null : httpUrl(env, 'KEYWARD_EVENTS_URL', ''),
    nodeToken: nodeToken(env),
    nodeId: nodeId(env),
    stateDir: resolve(text(env, 'KEYWARD_DP_STATE_DIR', '.keyward/data-plane')),
    kms: kms(env),
    gcpKmsEndpoint: env.KEYWARD_GCP_KMS_ENDPOINT || null,
    kmsTimeoutMs: number(env, 'KEYWARD_KMS_TIMEOUT_MS', 3_000, { min: 100, max: 60_000, integer: true }),
    keyPepper,
    hashSalt: hashSalt(env, keyPepper),
    allowLoopbackUpstreams: bool(env, 'KEYWARD_ALLOW_LOOPBACK_UPSTREAMS', false),
    trustForwardedFor: bool(env, 'KEYWARD_TRUST_FORWARDED_FOR', false),
    trustProxyProtocol: bool(env, 'KEYWARD_TRUST_PROXY_PROTOCOL', false),
    workers: number(env, 'KEYWARD_DP_WORKERS', 1, { min: 1, max: MAX_WORKERS, integer: true }),
    maxBodyBytes: number(env, 'KEYWARD_MAX_BODY_BYTES', 10 * 1024 * 1024, { min: 1024, max: 1024 ** 3, integer: true }),
    upstreamConnectTimeoutMs: number(env, 'KEYWARD_UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, { min: 1, integer: true }),
    upstreamFirstByteTimeoutMs: number(env, 'KEYWARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 300_000, { min: 1, integer: true }),
    upstreamIdleTimeoutMs: number(env, 'KEYWARD_UPSTREAM_IDLE_TIMEOUT_MS', 300_000, { min: 1, integer: true }),
    drainTimeoutMs: Math.round(drainSeconds * 1000),
    heartbeatIntervalMs: Math.round(heartbeatSeconds * 1000),
    eventBatchSize: number(env, 'KEYWARD_EVENT_BATCH_SIZE', 200, { min: 1, max: 10_000, integer: true }),
    eventFlushIntervalMs: number(env, 'KEYWARD_EVENT_FLUSH_MS', 250, { min: 1, max: 60_000, integer: true }),
    spoolSyncIntervalMs: number(env, 'KEYWARD_SPOOL_SYNC_MS', 10, { min: 0, max: 1_000, integer: true }),
    spoolSegmentBytes: number(env, 'KEYWARD_SPOOL_SEGMENT_BYTES', 8 * 1024 * 1024, { min: 4096, max: 1024 ** 3, integer: true }),
    eventRetryMaxMs: number(env, 'KEYWARD_EVENT_RETRY_MAX_MS', 30_000, { min: 10, max: 3_600_000, integer: true }),
    configRetryMaxMs: number(env, 'KEYWARD_CONFIG_RETRY_MAX_MS', 30_000, { min: 10, max: 3_600_000, integer: true }),
    credentialCacheTtlMs: number(env, 'KEYWARD_CREDENTIAL_CACHE_SECONDS', 300, { min: 0, max: 86_400 }) * 1000,
    redisUrl: redisUrl(env),
    responseCacheMaxBytes: number(env, 'KEYWARD_RESPONSE_CACHE_MAX_BYTES', 64 * 1024 * 1024, { min: 0, max: 1024 ** 4, integer: true }),
    spendReconcileIntervalMs: number(env, 'KEYWARD_SPEND_RECONCILE_SECONDS', 30, { min: 0, max: 3600, integer: true }) * 1000,
    holdKeepAliveMs: Math.round(number(env, 'KEYWARD_HOLD_KEEPALIVE_SECONDS', 10, { min: 0.05, max: 300 }) * 1000),
    unstreamedHoldSeconds: number(env, 'KEYWARD_UNSTREAMED_HOLD_SECONDS', DEFAULT_HOLD_SECONDS, { min: 1, max: 86_400 }),
    logLevel: logLevel(env),
    otlpTracesUrl: otlpTracesUrl(env),
    otelServiceName: text(env, 'OTEL_SERVICE_NAME', 'keyward-data-plane'),
    pricesFile: pricesFile(env),
  });
}

/** `KEYWARD_PRICES_FILE`: a newer `data.json` of `@pydantic/genai-prices`, put in use now, before any request is priced. */
function pricesFile(env: Env): string | null {
  const path = raw(env, 'KEYWARD_PRICES_FILE');
  if (path === undefined) return null;
  try {
    usePriceFile(path);
  } catch (err) {
    throw new ConfigError(`KEYWARD_PRICES_FILE "${path}" cannot be used: ${(err as Error).message}.`);
  }
  return path;
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function text(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function required(env: Env, name: string, what: string): string {
  const value = raw(env, name);
  if (value === undefined) throw new ConfigError(`${name} is required: set it to ${what}.`);
  return value;
}

function number(env: Env, name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean }): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min = -Infinity, max = Infinity, integer = false } = opts;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const range = `${Number.isFinite(min) ? ` from ${min}` : ''}${Number.isFinite(max) ? ` to ${max}` : ''}`;
    throw new ConfigError(`${name} must be ${integer ? 'an integer' : 'a number'}${range}, got "${value}".`);
  }
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1' || value === 'yes') return true;
  if (value === 'false' || value === '0' || value === 'no') return false;
  throw new ConfigError(`${name} must be true or false, got "${value}".`);
}

/** A comma-separated list of http or https URLs, each checked as `httpUrl` checks one. */
function httpUrls(env: Env, name: string, fallback: string): string[] {
  const urls = (raw(env, name) ?? fallback).split(',').map((part) => part.trim());
  if (urls.some((url) => url === '')) throw new ConfigError(`${name} must be one http or https URL, or several separated by commas, with none empty.`);
  return [...new Set(urls.map((url) => checkedHttpUrl(name, url)))];
}

function httpUrl(env: Env, name: string, fallback: string): string {
  return checkedHttpUrl(name, raw(env, name) ?? fallback);
}

function checkedHttpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http or https URL, got "${value}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http or https URL, got "${value}".`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The OTLP/HTTP traces URL, resolved as the OpenTelemetry exporters do: the traces-specific
 * variable is the whole URL, the general one is a base that `/v1/traces` is appended to.
 */
function otlpTracesUrl(env: Env): string | null {
  if (raw(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined) return httpUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '');
  if (raw(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined) return `${httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', '')}/v1/traces`;
  return null;
}

function nodeToken(env: Env): string {
  const value = required(env, 'KEYWARD_NODE_TOKEN', 'the node token the control plane issued for this node');
  if (parseSecret(value)?.kind !== 'node_token') {
    throw new ConfigError('KEYWARD_NODE_TOKEN is not a valid node token (expected kwn_ followed by 49 characters with a valid checksum).');
  }
  return value;
}

function nodeId(env: Env): string {
  const value = raw(env, 'KEYWARD_NODE_ID') ?? `dp-${hostname()}`;
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) {
    throw new ConfigError('KEYWARD_NODE_ID must be 1 to 128 letters, digits, dots, colons, underscores or dashes.');
  }
  return value;
}

function kms(env: Env): string {
  const value = required(env, 'KEYWARD_KMS', 'a KMS spec such as local:/path/to/kek.json, local-key:<base64> or gcp:<key resource>');
  if (!KMS_SCHEMES.some((scheme) => value.startsWith(scheme) && value.length > scheme.length)) {
    throw new ConfigError('KEYWARD_KMS must start with local:, local-key: or gcp: followed by a path, key or resource.');
  }
  return value;
}

function pepper(env: Env): Buffer {
  const value = required(env, 'KEYWARD_KEY_PEPPER', `the base64 key pepper shared with the control plane (at least ${MIN_PEPPER_BYTES} bytes)`);
  const bytes = Buffer.from(value, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) || bytes.length < MIN_PEPPER_BYTES) {
    throw new ConfigError(`KEYWARD_KEY_PEPPER must be base64 of at least ${MIN_PEPPER_BYTES} bytes.`);
  }
  return bytes;
}

/**
 * Without an explicit salt, one is derived from the pepper: stable across restarts and nodes
 * (so hashes of one client correlate), and as secret as the pepper itself.
 */
function hashSalt(env: Env, keyPepper: Buffer): Buffer {
  const value = raw(env, 'KEYWARD_HASH_SALT');
  if (value === undefined) return createHmac('sha256', keyPepper).update('keyward client hash salt').digest();
  if (value.length < 16) throw new ConfigError('KEYWARD_HASH_SALT must be at least 16 characters long.');
  return Buffer.from(value, 'utf8');
}

/** `REDIS_URL`: one server, Sentinel or Cluster (see `parseRedisUrl`). */
function redisUrl(env: Env): string | null {
  const value = raw(env, 'REDIS_URL');
  if (value === undefined) return null;
  try {
    parseRedisUrl(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return value;
}

function logLevel(env: Env): string {
  const value = (raw(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(value)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}".`);
  return value;
}
