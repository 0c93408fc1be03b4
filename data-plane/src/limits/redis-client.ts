import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

// ioredis is loaded by the first connection: a node without REDIS_URL never pays its memory.
const require = createRequire(import.meta.url);

/** A connection to Redis as every shared-state user on a node sees it: one server, or a cluster. */
export type RedisClient = Redis | Cluster;

/** Where the shared Redis is, parsed from `REDIS_URL`. */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly auth: RedisAuth;
      readonly db: number;
      readonly tls: boolean;
    }
  | { readonly mode: 'cluster'; readonly nodes: readonly HostPort[]; readonly auth: RedisAuth; readonly tls: boolean };

interface HostPort {
  readonly host: string;
  readonly port: number;
}

interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
}

const SCHEMES = 'redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://';
const MULTI_HOST = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?$/;

/**
 * Reads `REDIS_URL`: `redis://` or `rediss://` for one server;
 * `redis+sentinel://[user:password@]host:port,host:port/<master name>[/<db>]` for a Sentinel
 * setup (the password is the data nodes'); `redis+cluster://[user:password@]host:port,host:port`
 * for Redis Cluster (any reachable nodes: the rest are discovered). The `s` form uses TLS.
 * Throws a one-sentence message saying what is wrong.
 */
export function parseRedisUrl(value: string): RedisTarget {
  const multi = MULTI_HOST.exec(value);
  if (multi) {
    const [, scheme, mode, userinfo, hostList, path] = multi;
    const hosts = hostList!.split(',').map((entry) => hostPort(entry, mode === 'sentinel' ? 26379 : 6379));
    const auth = userAuth(userinfo);
    const tls = scheme === 'rediss';
    if (mode === 'cluster') {
      if (path) throw new Error('REDIS_URL for Redis Cluster takes no path (a cluster has one database).');
      return { mode: 'cluster', nodes: hosts, auth, tls };
    }
    const [name, db, ...rest] = (path ?? '').split('/');
    if (!name) throw new Error('REDIS_URL for Sentinel must name the master after the hosts, as in redis+sentinel://host:26379/mymaster.');
    if (rest.length > 0 || (db !== undefined && db !== '' && !/^\d{1,2}$/.test(db))) {
      throw new Error('REDIS_URL for Sentinel takes the master name and an optional database number, as in redis+sentinel://host:26379/mymaster/0.');
    }
    return { mode: 'sentinel', sentinels: hosts, name: decodeURIComponent(name), auth, db: db ? Number(db) : 0, tls };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`REDIS_URL must be a ${SCHEMES} URL.`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`REDIS_URL must be a ${SCHEMES} URL.`);
  return { mode: 'standalone', url: value };
}

/**
 * A client for `target` with `options` (per-command behaviour such as timeouts and the offline
 * queue) applied to every connection it makes. A cluster client keeps the same behaviour on each
 * node's connection and follows slot moves.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions): RedisClient {
  const { Cluster, Redis } = require('ioredis') as typeof import('ioredis');
  if (target.mode === 'standalone') return new Redis(target.url, options);
  const tls = target.tls ? { tls: {} } : {};
  if (target.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...target.auth,
      ...tls,
      sentinels: target.sentinels.map((s) => ({ ...s })),
      name: target.name,
      db: target.db,
      ...(target.tls ? { sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...options, ...target.auth, ...tls },
    enableOfflineQueue: options.enableOfflineQueue,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
  return new Cluster(
    target.nodes.map((n) => ({ ...n })),
    clusterOptions,
  );
}

function hostPort(entry: string, defaultPort: number): HostPort {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (!match || port < 1 || port > 65_535) throw new Error(`REDIS_URL has a host that is not host:port: "${entry}".`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function userAuth(userinfo: string | undefined): RedisAuth {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}
