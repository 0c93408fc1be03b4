import { validateApprovalDecision, type ApprovalDecisionMessage } from '@keyward/shared';
import type { Logger } from '../logger.js';

/** Decisions a node may leave unread before its stream is closed (it resubscribes and gets the backlog again). */
const MAX_QUEUED = 1000;

/**
 * One node's `approvalDecisions` subscription: the backlog first (decisions it has not reported
 * an outcome for), then each new decision for this node as it is made. A decision is sent once
 * per stream even if the backlog and a live publish both carry it. Every message passes the
 * validator nodes run.
 */
export class DecisionStream implements AsyncIterableIterator<ApprovalDecisionMessage> {
  private readonly queue: ApprovalDecisionMessage[] = [];
  private readonly sent = new Set<string>();
  private waiter: ((result: IteratorResult<ApprovalDecisionMessage>) => void) | null = null;
  private done = false;

  constructor(
    private readonly log: Logger,
    private readonly onClose: () => void,
  ) {}

  /** Ends the stream from the server side (its node token was revoked). */
  close(): void {
    void this.return();
  }

  /** Queues a decision unless this stream already carried it. */
  push(message: ApprovalDecisionMessage): void {
    if (this.done) return;
    const id = `${message.approvalId}:${message.decision}`;
    if (this.sent.has(id)) return;
    try {
      validateApprovalDecision(message);
    } catch (error) {
      this.log.error({ err: error, approvalId: message.approvalId }, 'refusing to send an invalid approval decision');
      return;
    }
    this.sent.add(id);
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: message, done: false });
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.log.warn('a node is not reading its approval decisions; closing the stream so it resubscribes');
      void this.return();
      return;
    }
    this.queue.push(message);
  }

  next(): Promise<IteratorResult<ApprovalDecisionMessage>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<ApprovalDecisionMessage>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.onClose();
      const waiter = this.waiter;
      this.waiter = null;
      waiter?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ApprovalDecisionMessage>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Open decision streams of this control plane, by node token and node name. Registration is
 * synchronous, so a stream registered before its backlog is read cannot miss a decision made
 * in between.
 */
export class DecisionHub {
  private readonly streams = new Map<string, Set<DecisionStream>>();

  /** Opens a stream for `(tokenId, nodeId)`; `onClose` runs once when it ends. */
  open(tokenId: string, nodeId: string, log: Logger, onClose: () => void = () => {}): DecisionStream {
    const slot = `${tokenId}\u0000${nodeId}`;
    const stream: DecisionStream = new DecisionStream(log, () => {
      onClose();
      const set = this.streams.get(slot);
      set?.delete(stream);
      if (set?.size === 0) this.streams.delete(slot);
    });
    let set = this.streams.get(slot);
    if (!set) this.streams.set(slot, (set = new Set()));
    set.add(stream);
    return stream;
  }

  /** Sends a decision to every open stream of the node that holds the request. */
  publish(tokenId: string, nodeId: string, message: ApprovalDecisionMessage): void {
    for (const stream of this.streams.get(`${tokenId}\u0000${nodeId}`) ?? []) stream.push(message);
  }
}
