import { setTimeout as sleep } from 'node:timers/promises';
import { KmsError, type AttemptOutcome, type BreakerSettings, type CredentialConfig } from '@keyward/shared';
import type { Dispatcher } from 'undici';
import { connectionClosed, GatewayError, isRetryableConnectFailure, mapUpstreamFailure } from '../errors.js';
import type { ProviderApi } from '../providers/index.js';
import { upstreamRequestHeaders } from '../upstream/headers.js';
import type { ClientResponse } from '../server/response.js';
import type { ForwardRequest } from './forward.js';
import type { Gateway } from './gateway.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** One place a request may be sent: a credential and the provider model to ask there. */
interface AttemptTarget {
  /** Health and circuit key: `<credential id>/<model>`. */
  readonly id: string;
  readonly credential: CredentialConfig;
  readonly model: string;
  /** How long to wait for the provider's status line. */
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** The circuit breaker settings; null for a key without a route (no breaker, as before routes). */
  readonly breaker: BreakerSettings | null;
}

/**
 * The targets of one request in the order to try them. A routed request retries a target and
 * falls back to the next on connect errors, timeouts, 429 and 5xx; a request without a route
 * tries the next credential on a connect failure only, as Keyward always did.
 */
export interface AttemptPlan {
  readonly targets: readonly AttemptTarget[];
  readonly routed: boolean;
}

/** The answer to relay and the target that gave it. */
export interface Answered {
  readonly response: Dispatcher.ResponseData;
  readonly target: AttemptTarget;
}

/** Longest `Retry-After` waited out on the same target; a longer one moves on to the next target. */
const MAX_RETRY_WAIT_MS = 10_000;
const BASE_BACKOFF_MS = 100;

/**
 * Tries the plan's targets until one answers, before any byte reaches the agent: a target whose
 * circuit is open is skipped, a retryable failure is retried on the same target (waiting for
 * `Retry-After` or an exponential backoff) up to its `maxRetries`, then the next target gets the
 * request. Every attempt is recorded on the request. The last possible attempt's answer is
 * relayed whatever its status (the provider's 429 or 500 with its own body); when every target's
 * circuit is open the agent gets a 503 with `Retry-After`.
 */
export async function attemptUpstream(gw: Gateway, req: ForwardRequest, signal: AbortSignal): Promise<Answered> {
  const { plan, record } = req;
  let lastError: GatewayError | null = null;
  let tried = 0;
  const bodies = new Map<string, Buffer | string>();
  for (let t = 0; t < plan.targets.length; t++) {
    const target = plan.targets[t];
    const lastTarget = t === plan.targets.length - 1;
    // Only route targets keep health (a key without a route keeps no per-target state).
    const health = target.breaker === null ? null : gw.health.get(target.id);
    if (health !== null && health.admit(fleetNow()) === 'open') {
      record.attempts.push({ credentialId: target.credential.id, model: target.model, outcome: 'circuit_open', status: null, latencyMs: 0 });
      continue;
    }
    const retries = plan.routed ? target.maxRetries : 0;
    for (let retry = 0; retry <= retries; retry++) {
      const finalTry = lastTarget && retry === retries;
      tried += 1;
      record.credential = target.credential;
      const started = performance.now();
      const note = (outcome: AttemptOutcome, status: number | null) => {
        const latencyMs = Math.round(performance.now() - started);
        record.attempts.push({ credentialId: target.credential.id, model: target.model, outcome, status, latencyMs });
        if (health === null || target.breaker === null) return;
        const now = fleetNow();
        gw.metrics.targetAttempts.inc({ target: target.id, outcome });
        if (outcome === 'answered') {
          gw.metrics.targetLatency.observe({ target: target.id }, latencyMs / 1000);
          health.observeLatency(latencyMs, now);
          gw.health.success(target.id, now);
        } else {
          gw.health.failure(target.id, target.breaker, now);
        }
      };
      let secret: string;
      try {
        secret = await gw.secrets.get(target.credential);
      } catch (err) {
        gw.metrics.upstreamErrors.inc({ provider: target.credential.provider, code: 'credential_unavailable' });
        gw.log.error({ requestId: record.requestId, credentialId: target.credential.id, reason: (err as Error).name }, 'could not unwrap provider credential');
        note('credential_unavailable', null);
        // The key service being away is a passing outage (503, retry); a secret that does not open is not.
        lastError =
          err instanceof KmsError
            ? new GatewayError('kms_unavailable', 503, 'The key service that unlocks provider credentials cannot be reached; retry shortly.', 5)
            : new GatewayError('credential_unavailable', 502, 'The provider credential for this key could not be unlocked.');
        break;
      }
      const { url, body, api } = upstreamRequest(req, target, bodies);
      const headers = upstreamRequestHeaders(req.incoming.headers, api, secret, Buffer.byteLength(body));
      // With tracing on, the provider gets the upstream span's context in place of the agent's.
      if (record.trace) Object.assign(headers, record.trace.startUpstream({ url, credential: target.credential }));
      if (health) health.outstanding += 1;
      let response: Dispatcher.ResponseData;
      record.markAttemptSent();
      try {
        response = await gw.upstream.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'POST',
          headers,
          body,
          signal,
          headersTimeout: target.timeoutMs,
          bodyTimeout: gw.config.upstreamIdleTimeoutMs,
        });
      } catch (err) {
        if (health) health.outstanding -= 1;
        record.markAttemptFailed();
        if (req.client.aborted) throw connectionClosed(req.client.closeCode);
        const mapped = mapUpstreamFailure(err, 'connect');
        gw.metrics.upstreamErrors.inc({ provider: target.credential.provider, code: mapped.code });
        note(mapped.code === 'upstream_timeout' ? 'timeout' : 'connect_error', null);
        lastError = mapped;
        if (!plan.routed) {
          if (lastTarget || !isRetryableConnectFailure(err)) throw mapped;
          gw.log.warn(
            { requestId: record.requestId, credentialId: target.credential.id, code: mapped.code },
            'provider unreachable; trying the next credential',
          );
          break;
        }
        if (finalTry) throw mapped;
        if (retry < retries && mapped.code !== 'upstream_blocked') {
          await wait(backoffMs(retry), signal, req.client);
          continue;
        }
        break;
      }
      const status = response.statusCode;
      const retryable = plan.routed && (status === 429 || status >= 500);
      const rejected = plan.routed && (status === 401 || status === 403) && !lastTarget;
      if (!retryable && !rejected) {
        // A 4xx is the request's own fault (or, for 401/403 on the last target, the forward step's to report): the target is healthy.
        note(status === 401 || status === 403 ? 'rejected' : 'answered', status);
        return { response, target };
      }
      note(status === 429 ? 'rate_limited' : rejected ? 'rejected' : 'server_error', status);
      if (finalTry) return { response, target };
      record.markAttemptFailed();
      const retryAfter = retryAfterMs(response.headers['retry-after']);
      await response.body.dump().catch(() => undefined);
      if (health) health.outstanding -= 1;
      gw.metrics.upstreamErrors.inc({
        provider: target.credential.provider,
        code: status === 429 ? 'upstream_rate_limited' : rejected ? 'upstream_auth_failed' : 'upstream_error',
      });
      lastError = new GatewayError('upstream_error', 502, `The provider answered with status ${status}.`);
      if (rejected || retry >= retries || (retryAfter !== null && retryAfter > MAX_RETRY_WAIT_MS)) break;
      await wait(Math.max(retryAfter ?? 0, backoffMs(retry)), signal, req.client);
    }
  }
  if (tried === 0 && plan.targets.length > 0) {
    const now = fleetNow();
    const reopen = Math.min(...plan.targets.map((t) => gw.health.get(t.id).openUntil));
    const seconds = Math.max(1, Math.ceil((reopen - now) / 1000));
    throw new GatewayError(
      'no_healthy_target',
      503,
      'Every provider target of this route is failing and has been taken out of rotation; retry later.',
      seconds,
    );
  }
  throw lastError ?? new GatewayError('no_route', 404, `No provider credential serves the model "${req.requested}" for this key.`);
}

/**
 * The request as the target receives it: the agent's operation at the target's base URL, asking
 * for the target's model (in the body, or in the path for Gemini); for a target of another API
 * family, the request translated before the attempts began (`translateCalls`), at the path of
 * the target's operation.
 */
function upstreamRequest(
  req: ForwardRequest,
  target: AttemptTarget,
  cache: Map<string, Buffer | string>,
): { url: URL; body: Buffer | string; api: ProviderApi } {
  const translated = req.translated.get(target.id);
  if (translated) {
    const { api } = translated.call.operation;
    return { url: new URL(api.baseUrl(target.credential) + translated.call.path), body: translated.body, api };
  }
  const url = new URL(req.api.baseUrl(target.credential) + req.op.upstreamPath(target.model, req.stream, req.incoming.query));
  if (req.bodyJson === null || typeof req.bodyJson.model !== 'string' || req.bodyJson.model === target.model) return { url, body: req.body, api: req.api };
  let body = cache.get(target.model);
  if (body === undefined) cache.set(target.model, (body = JSON.stringify({ ...req.bodyJson, model: target.model })));
  return { url, body, api: req.api };
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or null when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - fleetNow());
}

function backoffMs(retry: number): number {
  return Math.min(2_000, BASE_BACKOFF_MS * 2 ** retry);
}

async function wait(ms: number, signal: AbortSignal, client: ClientResponse): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw connectionClosed(client.closeCode);
  }
}
