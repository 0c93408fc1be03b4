import { usePriceFile } from '@keyward/shared';
import { ConfigError } from './config-error.js';

export { ConfigError };

/** Everything the control plane reads from its environment, parsed once at start-up. */
export interface ControlPlaneConfig {
  /**
   * How Keyward is run (`KEYWARD_EDITION`): `self-hosted` (every feature on, no plans, no prices
   * of plans, Stripe off) or `service` (organizations buy plans, which gate features).
   */
  readonly edition: Edition;
  /** Where agents reach the data plane (`KEYWARD_GATEWAY_URL`), shown in the console; null when not configured. */
  readonly gatewayUrl: string | null;
  readonly host: string;
  readonly port: number;
  /** Public origin people open in a browser (links in emails and Slack messages). */
  readonly publicUrl: string;
  /** PostgreSQL URL; null when unset (the process then refuses to start; `npm start` sets it). */
  readonly databaseUrl: string | null;
  /** Where the embedded database, the local KMS key file and generated secrets live. */
  readonly stateDir: string;
  /** KMS spec: `local:<path>`, `local-key:<base64>` or `gcp:<cryptoKey resource>`. */
  readonly kms: string;
  /** Optional gRPC endpoint override for Google Cloud KMS (`host:port`, tests and emulators). */
  readonly gcpKmsEndpoint: string | null;
  /** HMAC key for Keyward keys, API tokens and node tokens (shared with data-plane nodes for keys). */
  readonly keyPepper: Buffer;
  /** Salt for hashing IP addresses in the audit trail. */
  readonly hashSalt: Buffer;
  readonly environment: 'development' | 'production' | 'test';
  /** Allows `http://` loopback provider base URLs, for local mock providers. */
  readonly allowLoopbackUpstreams: boolean;
  readonly smtp: { readonly url: string; readonly from: string } | null;
  readonly sessionTtlSeconds: number;
  /** Days between an owner deleting an organization and its rows being deleted (`KEYWARD_ORG_DELETION_GRACE_DAYS`). */
  readonly orgDeletionGraceDays: number;
  readonly maxBodyBytes: number;
  /** Requests one SCIM token may make per minute (`KEYWARD_SCIM_REQUESTS_PER_MINUTE`, 1200: a full Entra ID sync of a large directory stays under it). */
  readonly scimRequestsPerMinute: number;
  readonly logLevel: string;
  /** A node token the start script hands to its local data plane (registered on start-up). */
  readonly bootstrapNodeToken: string | null;
  /** Directory of the built console, served at `/` when present. */
  readonly consoleDir: string | null;
  /** Stripe billing (checkout and its webhook); null unless both secrets are set. */
  readonly stripe: StripeConfig | null;
  /** The tamper-evident audit trail (`audit-chain/`). */
  readonly auditChain: AuditChainConfig;
  /** Exporting the audit trail to SIEMs (`audit-sinks/`). */
  readonly auditSinks: AuditSinksConfig;
  /** Anomaly baselines (`anomaly/`). */
  readonly anomaly: AnomalyConfig;
  /**
   * How long a stop (SIGTERM, SIGINT) may take (`KEYWARD_DRAIN_SECONDS`, 10): open requests finish,
   * background rounds end, then the process exits; past it, it exits at once with status 1.
   */
  readonly drainTimeoutMs: number;
  /** A newer price catalog loaded at start (`KEYWARD_PRICES_FILE`, shared with the data plane); null: the dataset pinned in the release. */
  readonly pricesFile: string | null;
}

/** How anomaly baselines are learned from stored events. */
interface AnomalyConfig {
  /** Time between two learning rounds (`KEYWARD_ANOMALY_LEARN_MS`, 60,000): how fresh pushed baselines are. */
  readonly learnIntervalMs: number;
}

/** How the audit-sink worker paces itself. */
interface AuditSinksConfig {
  /** How often it looks for new rows when idle (`KEYWARD_AUDIT_SINK_POLL_MS`, 1,000). */
  readonly pollMs: number;
  /** An S3 sink writes at most one object per chain per this many seconds (`KEYWARD_AUDIT_SINK_S3_INTERVAL_SECONDS`, 3,600: hourly objects). */
  readonly s3IntervalSeconds: number;
  /** Longest wait between two attempts of a failing batch (`KEYWARD_AUDIT_SINK_MAX_BACKOFF_SECONDS`, 300). */
  readonly maxBackoffSeconds: number;
}

/** Hash chaining and checkpoint signing of usage events and audit entries. */
interface AuditChainConfig {
  /**
   * Links every stored row into its organization's chain (`KEYWARD_AUDIT_CHAIN`, on by default).
   * Off only to measure what chaining costs: rows stored meanwhile verify as INSERTED.
   */
  readonly enabled: boolean;
  /** A chain gets a signed checkpoint after this many rows (`KEYWARD_AUDIT_CHECKPOINT_ROWS`, 1,000)… */
  readonly checkpointRows: number;
  /** …or this many minutes after its last one, when it has rows since (`KEYWARD_AUDIT_CHECKPOINT_MINUTES`, 10). */
  readonly checkpointMinutes: number;
}

/** The installation-wide ways of running Keyward. */
const EDITIONS = ['self-hosted', 'service'] as const;
export type Edition = (typeof EDITIONS)[number];

/** Stripe settings from `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and friends. */
export interface StripeConfig {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** Stripe price ids of the paid plans' subscriptions (`STRIPE_PRICE_PRO`, `STRIPE_PRICE_ENTERPRISE`). */
  readonly prices: { readonly pro: string | null; readonly enterprise: string | null };
  /** Another API origin (`KEYWARD_STRIPE_API_URL`, e.g. stripe-mock in tests); null for Stripe itself. */
  readonly apiUrl: string | null;
}

type Env = Record<string, string | undefined>;

/**
 * Parses the control plane's environment. Throws `ConfigError` naming the first bad variable.
 * Secrets without a value are an error in production; in development the start script
 * generates them into `.keyward/secrets.env`.
 */
export function loadControlPlaneConfig(env: Env = process.env): ControlPlaneConfig {
  const environment = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const stateDir = env.KEYWARD_STATE_DIR || '.keyward';
  const edition = oneOf(env, 'KEYWARD_EDITION', EDITIONS, 'self-hosted');
  const config: ControlPlaneConfig = {
    edition,
    gatewayUrl: optionalUrl(env, 'KEYWARD_GATEWAY_URL', ['http:', 'https:']),
    host: env.KEYWARD_CP_HOST || '127.0.0.1',
    port: integer(env, 'KEYWARD_CP_PORT', 4000, 0, 65535),
    publicUrl: url(env, 'KEYWARD_PUBLIC_URL', `http://localhost:${env.KEYWARD_CP_PORT || 4000}`),
    databaseUrl: optionalUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    stateDir,
    kms: env.KEYWARD_KMS || `local:${stateDir}/kek.json`,
    gcpKmsEndpoint: env.KEYWARD_GCP_KMS_ENDPOINT || null,
    keyPepper: secretBytes(env, 'KEYWARD_KEY_PEPPER'),
    hashSalt: secretBytes(env, 'KEYWARD_HASH_SALT'),
    environment,
    allowLoopbackUpstreams: boolean(env, 'KEYWARD_ALLOW_LOOPBACK_UPSTREAMS', environment !== 'production'),
    smtp: env.SMTP_URL ? { url: url(env, 'SMTP_URL', '', ['smtp:', 'smtps:']), from: env.SMTP_FROM || 'Keyward <no-reply@keyward.local>' } : null,
    sessionTtlSeconds: integer(env, 'KEYWARD_SESSION_TTL_SECONDS', 7 * 24 * 3600, 300, 90 * 24 * 3600),
    orgDeletionGraceDays: integer(env, 'KEYWARD_ORG_DELETION_GRACE_DAYS', 14, 0, 365),
    maxBodyBytes: integer(env, 'KEYWARD_CP_MAX_BODY_BYTES', 1_000_000, 1024, 100_000_000),
    scimRequestsPerMinute: integer(env, 'KEYWARD_SCIM_REQUESTS_PER_MINUTE', 1_200, 1, 100_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    bootstrapNodeToken: env.KEYWARD_NODE_TOKEN || null,
    consoleDir: env.KEYWARD_CONSOLE_DIR || null,
    stripe: stripeConfig(env, edition),
    auditChain: {
      enabled: boolean(env, 'KEYWARD_AUDIT_CHAIN', true),
      checkpointRows: integer(env, 'KEYWARD_AUDIT_CHECKPOINT_ROWS', 1_000, 1, 10_000_000),
      checkpointMinutes: integer(env, 'KEYWARD_AUDIT_CHECKPOINT_MINUTES', 10, 1, 1_440),
    },
    auditSinks: {
      pollMs: integer(env, 'KEYWARD_AUDIT_SINK_POLL_MS', 1_000, 50, 60_000),
      s3IntervalSeconds: integer(env, 'KEYWARD_AUDIT_SINK_S3_INTERVAL_SECONDS', 3_600, 1, 86_400),
      maxBackoffSeconds: integer(env, 'KEYWARD_AUDIT_SINK_MAX_BACKOFF_SECONDS', 300, 1, 3_600),
    },
    anomaly: { learnIntervalMs: integer(env, 'KEYWARD_ANOMALY_LEARN_MS', 60_000, 100, 3_600_000) },
    drainTimeoutMs: integer(env, 'KEYWARD_DRAIN_SECONDS', 10, 1, 3_600) * 1000,
    pricesFile: pricesFile(env),
  };
  return Object.freeze(config);
}

/** `DATABASE_URL` alone, for tools that read the control plane's database without running it (`audit-verify.ts`). */
export function loadDatabaseUrl(env: Env = process.env): string | null {
  return optionalUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
}

/**
 * Stripe is on only with both secrets; one without the other is a mistake worth stopping for, and
 * so is Stripe on a self-hosted installation, which sells nothing. Values are never echoed.
 */
function stripeConfig(env: Env, edition: Edition): StripeConfig | null {
  const secretKey = env.STRIPE_SECRET_KEY || '';
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET || '';
  if (!secretKey && !webhookSecret) return null;
  if (edition !== 'service')
    throw new ConfigError('STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are only used with KEYWARD_EDITION=service; a self-hosted installation sells no plans.');
  if (!secretKey || !webhookSecret) throw new ConfigError('STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together.');
  if (!/^(sk|rk)_(test|live)_\w+$/.test(secretKey)) throw new ConfigError('STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_… or sk_test_…).');
  if (!/^whsec_\w+$/.test(webhookSecret)) throw new ConfigError('STRIPE_WEBHOOK_SECRET must be a Stripe webhook signing secret (whsec_…).');
  return {
    secretKey,
    webhookSecret,
    prices: { pro: env.STRIPE_PRICE_PRO || null, enterprise: env.STRIPE_PRICE_ENTERPRISE || null },
    apiUrl: optionalUrl(env, 'KEYWARD_STRIPE_API_URL', ['http:', 'https:']),
  };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}".`);
  }
  return n;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, not "${raw}".`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, not "${raw}".`);
  }
  return raw as T;
}

function url(env: Env, name: string, fallback: string, protocols = ['http:', 'https:']): string {
  const raw = env[name] || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL.`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}.`);
  }
  return raw.replace(/\/$/, '');
}

/** `KEYWARD_PRICES_FILE`, put in use now: the data plane's setting, so route tests estimate at the prices nodes charge. */
function pricesFile(env: Env): string | null {
  const path = env.KEYWARD_PRICES_FILE?.trim();
  if (!path) return null;
  try {
    usePriceFile(path);
  } catch (err) {
    throw new ConfigError(`KEYWARD_PRICES_FILE "${path}" cannot be used: ${(err as Error).message}.`);
  }
  return path;
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | null {
  return env[name] ? url(env, name, '', protocols) : null;
}

/** A secret given as base64 (or hex), at least 32 bytes. Never echoed in the error. */
function secretBytes(env: Env, name: string): Buffer {
  const raw = env[name];
  if (!raw) throw new ConfigError(`${name} is required: 32 or more random bytes, base64-encoded.`);
  const bytes = /^[0-9a-f]+$/i.test(raw) && raw.length % 2 === 0 ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (bytes.length < 32) throw new ConfigError(`${name} must decode to at least 32 bytes.`);
  return bytes;
}
