import type { MessagePort } from 'node:worker_threads';
import type { MemoryLimiter } from '../limits/memory-limiter.js';
import type { ActualUsage, Admission, AdmissionRequest, BudgetUsage, Limiter, SettleResult, Ticket } from '../limits/types.js';
import { fleetNow } from '../clock/fleet-clock.js';
import { PortCaller, servePort } from './port-rpc.js';

/** A call a worker makes to the shared counters; `id` pairs it with its reply. */
type LimiterCall =
  | { readonly id: number; readonly op: 'admit'; readonly req: AdmissionRequest }
  | { readonly id: number; readonly op: 'settle'; readonly ticket: Ticket; readonly actual: ActualUsage }
  | { readonly id: number; readonly op: 'release'; readonly ticket: Ticket }
  | { readonly id: number; readonly op: 'reconcile' | 'seed'; readonly args: readonly [string, string, string, number] }
  | { readonly id: number; readonly op: 'usage'; readonly args: readonly [string, string, string, number | undefined] };

/** A ticket nobody settled is forgotten this long after its lease lapsed; a later settlement still charges. */
const FORGET_AFTER_MS = 3_600_000;
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The node's one set of in-memory budget and rate-limit counters, served to every worker over
 * its port. Each call runs synchronously on the thread that owns the counters, so admissions
 * from several workers are decided one after the other, as a single thread's would be: N
 * workers together never allow more than the limit. A ticket crosses the port as a copy, so the
 * host keeps the object it issued and settles that one: `MemoryLimiter` settles a ticket once.
 */
export class SharedLimiterHost {
  private readonly issued = new Map<string, Ticket>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly limiter: MemoryLimiter) {
    this.timer = setInterval(() => this.forgetLapsed(fleetNow()), SWEEP_INTERVAL_MS).unref();
  }

  /** Answers the calls a worker sends on `port`. */
  serve(port: MessagePort): void {
    servePort<LimiterCall>(port, (call) => this.run(call));
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return this.limiter.close();
  }

  private run(call: LimiterCall): unknown {
    switch (call.op) {
      case 'admit': {
        const admission = this.limiter.admitSync(call.req);
        if (admission.ok) this.issued.set(admission.ticket.id, admission.ticket);
        return admission;
      }
      case 'settle':
        return this.limiter.settleSync(this.original(call.ticket), call.actual);
      case 'release':
        return this.limiter.releaseSync(this.original(call.ticket));
      case 'reconcile':
        return this.limiter.reconcileSync(call.args[1], call.args[2], call.args[3]);
      case 'seed':
        return this.limiter.seedSync(call.args[1], call.args[2], call.args[3]);
      case 'usage':
        return this.limiter.usage(...call.args);
    }
  }

  private original(copy: Ticket): Ticket {
    const ticket = this.issued.get(copy.id);
    if (ticket === undefined) return copy;
    this.issued.delete(copy.id);
    return ticket;
  }

  private forgetLapsed(now: number): void {
    for (const [id, ticket] of this.issued) if (ticket.expiresAt + FORGET_AFTER_MS < now) this.issued.delete(id);
  }
}

/**
 * A worker's `Limiter`: every call goes to the `SharedLimiterHost` over `port`. A ticket is
 * settled or released once per worker object, as `MemoryLimiter` promises; repeated calls do
 * nothing and cross no port.
 */
export class PortLimiter implements Limiter {
  private readonly port: PortCaller<LimiterCall>;
  private readonly finished = new WeakSet<Ticket>();

  constructor(port: MessagePort) {
    this.port = new PortCaller(port, 'the shared limit counters were closed');
  }

  admit(req: AdmissionRequest): Promise<Admission> {
    return this.port.call({ op: 'admit', req }) as Promise<Admission>;
  }

  async settle(ticket: Ticket, actual: ActualUsage): Promise<SettleResult> {
    if (this.finished.has(ticket)) return { crossed: [], budgets: [] };
    this.finished.add(ticket);
    return (await this.port.call({ op: 'settle', ticket, actual })) as SettleResult;
  }

  async release(ticket: Ticket): Promise<void> {
    if (this.finished.has(ticket)) return;
    this.finished.add(ticket);
    await this.port.call({ op: 'release', ticket });
  }

  async reconcile(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    await this.port.call({ op: 'reconcile', args: [orgId, budgetId, periodKey, spentMicros] });
  }

  async seed(orgId: string, budgetId: string, periodKey: string, spentMicros: number): Promise<void> {
    await this.port.call({ op: 'seed', args: [orgId, budgetId, periodKey, spentMicros] });
  }

  usage(orgId: string, budgetId: string, periodKey: string, now?: number): Promise<BudgetUsage> {
    return this.port.call({ op: 'usage', args: [orgId, budgetId, periodKey, now] }) as Promise<BudgetUsage>;
  }

  async close(): Promise<void> {
    this.port.close();
  }
}
