import { request, type Dispatcher } from 'undici';
import { fleetClock, type ClockCorrection } from '../clock/fleet-clock.js';
import type { ControlPlaneEndpoints } from './endpoints.js';

/** Statuses of a load balancer or a stopping control plane: the next control plane is tried. */
const UNAVAILABLE = new Set([502, 503, 504]);

/** How a node reaches its control plane over HTTP. */
export interface ControlPlaneClientOptions {
  /** The control planes' base URLs (`http://127.0.0.1:4000`) and the one in use. */
  readonly endpoints: ControlPlaneEndpoints;
  /** The node token, sent as `Authorization: Bearer kwn_…` on every call. */
  readonly nodeToken: string;
  /** The keep-alive pool for control-plane calls (never the providers' pool). */
  readonly dispatcher: Dispatcher;
  /** Called when an answer's `Date` header moved the node's fleet clock (its own time was off). */
  readonly onClockCorrected?: (correction: ClockCorrection) => void;
}

/** What the control plane answered: any status, with its body as text. */
export interface ControlPlaneAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * The node's one HTTP client to its control plane: event batches, approval messages,
 * heartbeats and spend figures all go through it, with the same authentication, timeouts and
 * error reading. Network failures and timeouts reject; every HTTP status resolves. A path is
 * posted to the control plane in use; when it cannot be reached (or answers 502, 503 or 504)
 * the next one is tried, each at most once per call. Every node call may be repeated: events and
 * approval messages carry their ids.
 */
export class ControlPlaneClient {
  constructor(private readonly options: ControlPlaneClientOptions) {}

  /** The control planes (also where their graphql-ws endpoints live). */
  get endpoints(): ControlPlaneEndpoints {
    return this.options.endpoints;
  }

  /** POSTs a JSON text to a path of the control plane (`/v1/node/…`) or to an absolute URL. */
  async post(target: string, json: string, timeoutMs: number): Promise<ControlPlaneAnswer> {
    if (/^https?:\/\//.test(target)) return this.send(target, json, timeoutMs, false);
    const { endpoints } = this.options;
    for (let tried = 1; ; tried++) {
      const base = endpoints.current;
      const last = tried >= endpoints.urls.length;
      try {
        const answer = await this.send(`${base}${target}`, json, timeoutMs, true);
        if (!UNAVAILABLE.has(answer.status)) return answer;
        endpoints.unreachable(base);
        if (last) return answer;
      } catch (error) {
        endpoints.unreachable(base);
        if (last) throw error;
      }
    }
  }

  private async send(url: string, json: string, timeoutMs: number, controlPlane: boolean): Promise<ControlPlaneAnswer> {
    const sentAt = fleetClock.mark();
    const res = await request(url, {
      method: 'POST',
      dispatcher: this.options.dispatcher,
      headers: { authorization: `Bearer ${this.options.nodeToken}`, 'content-type': 'application/json' },
      body: json,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    // The control plane's answers carry its time: the node enforces on it, not on its wall clock
    // (an absolute events URL is some other collector, whose time is not the fleet's).
    const date = res.headers.date;
    const correction = controlPlane ? fleetClock.observe(typeof date === 'string' ? date : undefined, sentAt) : null;
    if (correction !== null) this.options.onClockCorrected?.(correction);
    return { status: res.statusCode, text: await res.body.text().catch(() => '') };
  }

  /**
   * Runs a GraphQL operation as the node and returns its `data`. Rejects with a sentence naming
   * the status and the GraphQL errors when the call did not succeed.
   */
  async graphql<T>(query: string, variables: Record<string, unknown> | undefined, timeoutMs: number): Promise<T> {
    const answer = await this.post('/graphql', JSON.stringify({ query, variables }), timeoutMs);
    const body = parseGraphqlBody<T>(answer.text);
    if (answer.status >= 300 || body?.errors?.length || body?.data === undefined) {
      const messages = body?.errors?.map((e) => e.message).join('; ');
      throw new Error(`status ${answer.status}${messages ? `: ${messages}` : ''}`);
    }
    return body.data;
  }
}

/** A GraphQL answer's body, or null when it is not JSON (a proxy's error page, an empty body). */
function parseGraphqlBody<T>(text: string): { data?: T; errors?: { message?: string }[] } | null {
  try {
    return JSON.parse(text) as { data?: T; errors?: { message?: string }[] };
  } catch {
    return null;
  }
}

/** The control plane's explanation in an error body (`{ error: { code, message } }`), cut short; null when there is none. */
export function controlPlaneErrorMessage(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown };
    const error = body.error;
    const message =
      typeof error === 'string'
        ? error
        : typeof error?.message === 'string'
          ? error.message
          : typeof error?.code === 'string'
            ? error.code
            : typeof body.message === 'string'
              ? body.message
              : null;
    return message === null ? null : message.slice(0, 300);
  } catch {
    return null;
  }
}
