import type { ApprovalDecisionMessage, ApprovalRequestMessage } from '@keyward/shared';
import { controlPlaneErrorMessage, type ControlPlaneClient } from '../control-plane/client.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../config/backoff.js';
import type { Logger } from '../observability/logger.js';
import { createDecisionStream, type DecisionStream } from './decision-stream.js';
import { InFlightApprovals, type ApprovalOutcome } from './in-flight.js';
import { fleetNow } from '../clock/fleet-clock.js';

/** Where a node posts approval requests (`POST`) and, below it, outcomes. */
const APPROVALS_PATH = '/v1/node/approvals';

/** How an `ApprovalClient` reaches the control plane and where it keeps its state. */
export interface ApprovalClientOptions {
  /** Requests and outcomes go to `/v1/node/approvals` through it; decisions come over its base URL's `/graphql`. */
  readonly client: ControlPlaneClient;
  readonly nodeId: string;
  /** For the decision stream's socket. */
  readonly nodeToken: string;
  /** `approvals.json` (ids in flight) lives here. */
  readonly stateDir: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** How long creating an approval keeps retrying a control plane that does not answer (default 15 s). */
  readonly requestRetryMs?: number;
  /** How long the decision stream stays open after the last wait ended (default 30 s). */
  readonly streamIdleMs?: number;
}

/** What a wait ended with: the control plane's decision, the local deadline, or the caller giving up. */
export type WaitResult = ApprovalDecisionMessage | { readonly decision: 'deadline' } | { readonly decision: 'cancelled' };

/** The control plane could not be asked for an approval (unreachable, or it refused the request). */
export class ApprovalUnavailableError extends Error {
  override name = 'ApprovalUnavailableError';
}

const HTTP_TIMEOUT_MS = 10_000;

interface Waiter {
  resolve(result: WaitResult): void;
}

/**
 * The node's half of the approval protocol (`@keyward/shared` `wire/approvals.ts`): posts
 * requests and outcomes with the node token, receives decisions on the `approvalDecisions`
 * subscription (open only while something waits, and a little after), and remembers in the
 * state directory which approvals are still in flight. At start it reports what a previous run
 * left behind: `node_restarted` for requests that were still waiting, or the outcome that was
 * decided but not yet delivered.
 */
export class ApprovalClient {
  private readonly log: Logger;
  private readonly waiters = new Map<string, Waiter>();
  /** Decisions that arrived before anyone waited for them (the stream can beat the POST's answer). */
  private readonly early = new Map<string, ApprovalDecisionMessage>();
  private readonly stream: DecisionStream;
  private idleTimer: NodeJS.Timeout | null = null;
  private deliveryTimer: NodeJS.Timeout | null = null;
  private delivering: Promise<void> | null = null;
  private deliveryFailures = 0;
  private deliveryWarned = false;
  private closing = false;

  private constructor(
    private readonly options: ApprovalClientOptions,
    private readonly store: InFlightApprovals,
  ) {
    this.log = options.logger.child({ component: 'approvals' });
    this.stream = createDecisionStream({
      endpoints: options.client.endpoints,
      nodeId: options.nodeId,
      nodeToken: options.nodeToken,
      logger: options.logger,
      backoff: options.backoff,
      onDecision: (decision) => this.onDecision(decision),
    });
  }

  /** Loads the in-flight file and starts reporting what the previous run left behind. */
  static async open(options: ApprovalClientOptions): Promise<ApprovalClient> {
    const log = options.logger.child({ component: 'approvals' });
    const store = await InFlightApprovals.open(options.stateDir, (reason) =>
      log.error({ reason }, 'ignoring an unreadable approvals file; approvals of the previous run stay unreported'),
    );
    const client = new ApprovalClient(options, store);
    const left = store.list();
    if (left.length > 0) {
      for (const [id, outcome] of left) if (outcome === null) await store.setOutcome(id, 'node_restarted');
      log.info({ count: left.length }, 'reporting approvals the previous run left in flight');
      client.deliver();
    }
    return client;
  }

  /** True once shutdown began: requests cut from now on were cut by the node, not their agent. */
  get shuttingDown(): boolean {
    return this.closing;
  }

  /** Approvals recorded and not yet acknowledged (waiting, or outcome not delivered). */
  get inFlight(): number {
    return this.store.size;
  }

  /**
   * Asks the control plane for an approval. The id is on disk before the request leaves, so a
   * crash at any point still gets reported after the restart. Retries an unreachable control
   * plane for `requestRetryMs` (or until `signal` aborts), then throws `ApprovalUnavailableError`;
   * the caller still reports an outcome for the id (the control plane may have stored it).
   */
  async request(message: ApprovalRequestMessage, signal?: AbortSignal): Promise<void> {
    await this.store.add(message.id);
    const deadline = fleetNow() + (this.options.requestRetryMs ?? 15_000);
    const body = JSON.stringify(message);
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const res = await this.post(APPROVALS_PATH, body);
        // A retry of a request the control plane already stored is answered 200 like the first.
        if (res.status >= 200 && res.status < 300) return;
        failure = `status ${res.status}${res.error ? `: ${res.error}` : ''}`;
        if (res.status >= 400 && res.status < 500) {
          this.log.error({ approvalId: message.id, reason: failure }, 'the control plane refused an approval request');
          throw new ApprovalUnavailableError(`the control plane refused the approval request (${failure})`);
        }
      } catch (err) {
        if (err instanceof ApprovalUnavailableError) throw err;
        failure = (err as Error).message;
      }
      const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
      if (signal?.aborted || fleetNow() + delay > deadline) {
        this.log.warn({ approvalId: message.id, reason: failure }, 'could not reach the control plane to request an approval');
        throw new ApprovalUnavailableError(`the control plane could not be reached (${failure})`);
      }
      await sleep(delay, signal);
    }
  }

  /**
   * Waits for the decision on `id` until `deadline` (epoch ms), or until `signal` aborts.
   * Keeps the decision stream open meanwhile.
   */
  wait(id: string, deadline: number, signal?: AbortSignal): Promise<WaitResult> {
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      return Promise.resolve(early);
    }
    return new Promise<WaitResult>((resolve) => {
      const finish = (result: WaitResult) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiters.get(id) === waiter) this.waiters.delete(id);
        this.streamMaybeIdle();
        resolve(result);
      };
      const waiter: Waiter = { resolve: finish };
      const onAbort = () => finish({ decision: 'cancelled' });
      const timer = setTimeout(() => finish({ decision: 'deadline' }), Math.max(0, deadline - fleetNow()));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, waiter);
      this.streamNeeded();
    });
  }

  /** Records what became of `id` and delivers it in the background until acknowledged. */
  report(id: string, outcome: ApprovalOutcome): void {
    this.early.delete(id);
    this.store.setOutcome(id, outcome).then(
      () => this.deliver(),
      (err: unknown) => this.log.error({ approvalId: id, reason: (err as Error).message }, 'could not record an approval outcome'),
    );
  }

  /** Marks the start of shutdown (see `shuttingDown`). */
  beginShutdown(): void {
    this.closing = true;
  }

  /**
   * Stops: tries for up to `timeoutMs` to deliver outcomes still pending, closes the decision
   * stream, and leaves whatever is undelivered in the state file for the next start.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    // A copy: resolving a waiter removes it from the map.
    for (const waiter of Array.from(this.waiters.values())) waiter.resolve({ decision: 'cancelled' });
    const until = fleetNow() + timeoutMs;
    while (this.hasDeliverable() && fleetNow() < until) {
      if (this.deliveryTimer) {
        clearTimeout(this.deliveryTimer);
        this.deliveryTimer = null;
      }
      this.deliver();
      await this.delivering;
      if (this.hasDeliverable()) await sleep(Math.min(200, Math.max(0, until - fleetNow())));
    }
    if (this.deliveryTimer) clearTimeout(this.deliveryTimer);
    this.deliveryTimer = null;
    await this.delivering;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.stream.stop();
    await this.store.flush();
    if (this.store.size > 0) this.log.warn({ count: this.store.size }, 'approval outcomes left for the next start to report');
  }

  private onDecision(decision: ApprovalDecisionMessage): void {
    const waiter = this.waiters.get(decision.approvalId);
    if (waiter) {
      waiter.resolve(decision);
      return;
    }
    // Ours but not waited for yet (the POST's answer is still on its way); anything else was
    // settled already, or belongs to a previous run that has been reported.
    const pending = this.store.list().find(([id, outcome]) => id === decision.approvalId && outcome === null);
    if (pending) this.early.set(decision.approvalId, decision);
  }

  private streamNeeded(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.closing) this.stream.start();
  }

  private streamMaybeIdle(): void {
    if (this.waiters.size > 0 || this.idleTimer || !this.stream.running) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.waiters.size === 0) void this.stream.stop();
    }, this.options.streamIdleMs ?? 30_000);
    this.idleTimer.unref();
  }

  private hasDeliverable(): boolean {
    return this.store.list().some(([, outcome]) => outcome !== null);
  }

  /** Posts every recorded outcome; reschedules itself with backoff while some fail. */
  private deliver(): void {
    if (this.delivering) {
      void this.delivering.then(() => this.deliver());
      return;
    }
    if (this.deliveryTimer) return;
    this.delivering = this.deliverAll().finally(() => {
      this.delivering = null;
    });
  }

  private async deliverAll(): Promise<void> {
    let failed = false;
    for (const [id, outcome] of this.store.list()) {
      if (outcome === null) continue;
      let reason: string | null = null;
      try {
        const res = await this.post(`${APPROVALS_PATH}/${id}/outcome`, JSON.stringify({ outcome }));
        // 404: the control plane never stored the request; 409: it already has an outcome.
        if ((res.status >= 200 && res.status < 300) || res.status === 404 || res.status === 409) {
          await this.store.remove(id);
          continue;
        }
        reason = `status ${res.status}${res.error ? `: ${res.error}` : ''}`;
        if (res.status === 400) {
          this.log.error({ approvalId: id, outcome, reason }, 'the control plane refused an approval outcome; dropping it');
          await this.store.remove(id);
          continue;
        }
      } catch (err) {
        reason = (err as Error).message;
      }
      failed = true;
      if (!this.deliveryWarned) this.log.warn({ approvalId: id, reason }, 'could not deliver an approval outcome; will keep trying');
      this.deliveryWarned = true;
      break;
    }
    if (!failed) {
      if (this.deliveryWarned) this.log.info('approval outcomes are delivered again');
      this.deliveryWarned = false;
      this.deliveryFailures = 0;
      return;
    }
    if (this.closing) return;
    this.deliveryTimer = setTimeout(
      () => {
        this.deliveryTimer = null;
        this.deliver();
      },
      backoffDelay(this.deliveryFailures++, this.options.backoff ?? DEFAULT_BACKOFF),
    );
    this.deliveryTimer.unref();
  }

  private async post(path: string, body: string): Promise<{ status: number; error: string | null }> {
    const answer = await this.options.client.post(path, body, HTTP_TIMEOUT_MS);
    return { status: answer.status, error: answer.status >= 300 ? controlPlaneErrorMessage(answer.text) : null };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
