import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from './uws.js';

/** Why a connection closed before its answer ended: the agent left, or the node cut it at its drain deadline. */
export type ClosedConnectionCode = 'client_closed' | 'drain_deadline';

/** Sees what goes out to the agent (the response cache keeps a copy of an answer this way). */
export interface ResponseTap {
  head(status: number, headers: readonly (readonly [string, string])[]): void;
  body(chunk: Uint8Array | string): void;
}

/**
 * The one wrapper through which the gateway writes to a uWS response. It owns the rules uWS
 * imposes: register `onAborted` at once, never touch the response after it aborted or ended,
 * cork every write made outside the route handler's synchronous part, and honour write
 * backpressure with one waiter per connection (`write` resolves only once the socket drained).
 */
export class ClientResponse {
  private state: 'open' | 'ended' | 'aborted' = 'open';
  private headWritten = false;
  private drainWaiter: (() => void) | null = null;
  private readonly abortListeners: (() => void)[] = [];
  /** Headers the gateway adds to whatever answer goes out (e.g. `x-ratelimit-*`), by lower-case name. */
  private readonly extraHeaders = new Map<string, string>();
  private tap: ResponseTap | null = null;
  /** Set by `holdEnd`: the end waits for `releaseEnd`. */
  private endHeld = false;
  /** The held end, run by `releaseEnd` unless the client left first. */
  private heldEnd: (() => void) | null = null;
  /** Set when the node cut the connection itself (drain deadline). */
  private cutByNode = false;
  /** The status line and headers `writeHead` took, until they go out (see `writeHead`). */
  private pendingHead: { readonly status: number; readonly headers: readonly (readonly [string, string])[] } | null = null;

  constructor(private readonly res: HttpResponse) {
    res.onAborted(() => {
      this.state = 'aborted';
      this.heldEnd = null;
      this.releaseWaiter();
      for (const listener of this.abortListeners.splice(0)) listener();
    });
  }

  /** True once the client went away; nothing may be written after that. */
  get aborted(): boolean {
    return this.state === 'aborted';
  }

  /** True while the response can still be written. */
  get open(): boolean {
    return this.state === 'open';
  }

  /** True once the status line was written: an error can then only travel inside the body. */
  get headersSent(): boolean {
    return this.headWritten;
  }

  /** Runs `listener` when the client disconnects before the response ended. */
  onAbort(listener: () => void): void {
    if (this.state === 'aborted') listener();
    else if (this.state === 'open') this.abortListeners.push(listener);
  }

  /**
   * Adds a header to the answer, whichever path writes it (relayed provider answer or the
   * gateway's own error). It replaces a header of the same name from the provider. Has no
   * effect once the status line is out.
   */
  setHeader(name: string, value: string): void {
    if (!this.headWritten) this.extraHeaders.set(name.toLowerCase(), value);
  }

  /** Hands the status line, headers and every body chunk written from now on to `tap` as well. */
  tapWith(tap: ResponseTap): void {
    this.tap = tap;
  }

  /**
   * Holds back the end of the response (`end`, `send`), the agent's sign that its answer is
   * complete, until `releaseEnd`: the gateway first writes the request's event to its spool, so
   * a node killed once an agent has its answer has the record of it. Body writes still go out.
   */
  holdEnd(): void {
    this.endHeld = true;
  }

  /** Sends the held end, if any; later ends go out at once. */
  releaseEnd(): void {
    this.endHeld = false;
    const end = this.heldEnd;
    this.heldEnd = null;
    end?.();
  }

  /**
   * Writes the status line and headers. They go out with the first body bytes written in this
   * turn of the event loop, in one packet (an upstream answer often arrives whole: head and first
   * chunk then cost the agent one wake-up instead of two), or on their own at the end of the turn.
   */
  writeHead(status: number, headers: Iterable<readonly [string, string]>): void {
    if (this.state !== 'open' || this.headWritten) return;
    this.headWritten = true;
    const list = [...headers];
    this.tap?.head(status, list);
    this.pendingHead = { status, headers: list };
    setImmediate(() => {
      if (this.pendingHead && this.state === 'open') this.res.cork(() => this.writePendingHead());
    });
  }

  /**
   * Writes a body chunk. Returns nothing when the socket took it, or a promise that resolves
   * once uWS drained its buffer (or the client left): callers await it before reading more
   * from upstream, which is what pushes backpressure through to the provider.
   */
  write(chunk: Uint8Array | string): Promise<void> | void {
    if (this.state !== 'open') return;
    this.tap?.body(chunk);
    let accepted = true;
    this.res.cork(() => {
      this.writePendingHead();
      accepted = this.res.write(chunk);
    });
    if (accepted) return;
    return new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
      this.res.onWritable(() => {
        this.releaseWaiter();
        // uWS already holds the unsent bytes; nothing to retry, so report success.
        return true;
      });
    });
  }

  /** Ends the response, optionally with a last chunk, and may ask uWS to close the connection. */
  end(body?: Uint8Array | string, closeConnection = false): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    this.releaseWaiter();
    if (body !== undefined) this.tap?.body(body);
    this.finally(() => {
      this.writePendingHead();
      this.res.end(body, closeConnection);
    });
  }

  /** Writes a whole small response (status, headers, body) in one corked call. */
  send(status: number, headers: Iterable<readonly [string, string]>, body: string, closeConnection = false): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    this.releaseWaiter();
    const writeHead = !this.headWritten;
    this.headWritten = true;
    this.finally(() => {
      if (writeHead) this.writeStatusAndHeaders(status, headers);
      else this.writePendingHead();
      this.res.end(body, closeConnection);
    });
  }

  /**
   * Cuts the connection at the node's drain deadline; the request's record then says
   * `drain_deadline` rather than `client_closed`.
   */
  cutAtDrainDeadline(): void {
    this.cutByNode = true;
    this.destroy();
  }

  /** Why the connection closed before the answer ended: the agent left, or the node cut it at its drain deadline. */
  get closeCode(): ClosedConnectionCode {
    return this.cutByNode ? 'drain_deadline' : 'client_closed';
  }

  /** Cuts the connection: the only honest end for a non-SSE body that failed half way. */
  destroy(): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    this.releaseWaiter();
    this.res.close();
  }

  /** Runs the response's last uWS call now, or at `releaseEnd` while the end is held. */
  private finally(last: () => void): void {
    const run = () => this.res.cork(last);
    if (this.endHeld) this.heldEnd = run;
    else run();
  }

  private writePendingHead(): void {
    const head = this.pendingHead;
    this.pendingHead = null;
    if (head) this.writeStatusAndHeaders(head.status, head.headers);
  }

  private writeStatusAndHeaders(status: number, headers: Iterable<readonly [string, string]>): void {
    this.res.writeStatus(statusLine(status));
    for (const [name, value] of headers) {
      if (!this.extraHeaders.has(name.toLowerCase())) this.res.writeHeader(name, value);
    }
    for (const [name, value] of this.extraHeaders) this.res.writeHeader(name, value);
  }

  private releaseWaiter(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    waiter?.();
  }
}

/** `200 OK`-style status line; uWS writes what it is given verbatim. */
function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? (status === 499 ? 'Client Closed Request' : 'Unknown')}`;
}
